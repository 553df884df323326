package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

// world is the whole data set: first planned (deterministically, from the
// seed), then written through the store.
type world struct {
	o     Options
	s     *store.Store
	r     *rand.Rand
	now   time.Time
	from  time.Time
	setAt time.Time // when the organization was set up
	loc   *time.Location

	tenants []*tenant
	admin   *user
	ops     []*op
	seq     int

	usedEmails map[string]bool
	usedPhones map[string]bool
	usedNames  map[string]bool
	serial     int
	// storyTickets counts the tickets of the stories, part of Options.Tickets.
	storyTickets int
	roles        map[string]kefu.Role // default roles by name, for limit checks while planning
}

type tenant struct {
	slug, name, rootName, locale, tz, currency string
	domain                                     string
	id                                         string
	roleIDs                                    map[string]string

	root      *org
	orgs      []*org
	orgByKey  map[string]*org
	depts     []*dept
	deptByKey map[string]*dept
	vendor    *vendor
	queues    []*queue
	queueBy   map[string]*queue
	users     []*user
	customers []*customer
	tickets   []*ticket
	scenarios []scenario
	langs     []weighted[string]

	n struct {
		messages, forwards, commitments, actions, links, merges atomic.Int64
	}
}

type org struct {
	key, name string
	kind      kefu.OrgKind
	parent    *org
	id        string
}

// sub is the subsidiary an org belongs to (itself for a subsidiary, the
// root for the root).
func (o *org) sub() *org {
	for x := o; x != nil; x = x.parent {
		if x.kind == kefu.OrgSubsidiary || x.parent == nil {
			return x
		}
	}
	return o
}

type dept struct {
	key, kind, name, email string
	id                     string
}

type vendor struct {
	name, contact string
	id            string
}

type queue struct {
	key, name string
	org       *org
	channel   kefu.Channel
	skills    []string
	inHouse   bool
	id        string
}

type grant struct {
	role string
	org  *org
}

type user struct {
	name, alias, email string
	kind               kefu.UserKind
	tier               kefu.Tier
	vendor             *vendor
	dept               *dept
	grants             []grant
	subs               []*org // subsidiaries whose queues the person works
	english            bool
	locale             string
	hash               string
	id                 string
}

func (u *user) actor() store.Actor { return store.Actor{ID: u.id, Kind: "user"} }

// display is how the person introduces themself in a language.
func (u *user) display(lang string) string {
	if lang == en {
		if u.alias != "" {
			return u.alias
		}
	}
	return u.name
}

type ident struct {
	kind  kefu.IdentityKind
	value string
	org   *org // for external ids
}

type customer struct {
	name, greet, locale, tier string
	company                   string
	home                      *org
	subs                      []*org
	idents                    []ident
	attrs                     map[string]string
	weight                    float64
	id                        string
}

func (c *customer) actor() store.Actor { return store.Actor{ID: c.id, Kind: "customer"} }

func (c *customer) has(sub *org) bool {
	for _, s := range c.subs {
		if s == sub {
			return true
		}
	}
	return false
}

type ticket struct {
	ten     *tenant
	id      string
	commits []string // commitment ids, in the order they were planned
	actions []string // action request ids

	ops  []*op // planned, in order
	next int   // ops[next] is the next to run
}

type weighted[T any] struct {
	v T
	w float64
}

func pickW[T any](r *rand.Rand, xs []weighted[T]) T {
	total := 0.0
	for _, x := range xs {
		total += x.w
	}
	u := r.Float64() * total
	for _, x := range xs {
		if u < x.w {
			return x.v
		}
		u -= x.w
	}
	return xs[len(xs)-1].v
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (w *world) chance(p float64) bool { return w.r.Float64() < p }

// between is a uniformly random duration in [a, b].
func (w *world) between(a, b time.Duration) time.Duration {
	if b <= a {
		return a
	}
	return a + time.Duration(w.r.Int64N(int64(b-a)+1))
}

func newWorld(s *store.Store, o Options) *world {
	loc := time.FixedZone("CST", 8*3600) // China and Taiwan: UTC+8 all year
	w := &world{o: o, s: s, r: rand.New(rand.NewPCG(uint64(o.Seed), 0x6b656675)), now: o.Now, loc: loc,
		usedEmails: map[string]bool{}, usedPhones: map[string]bool{}, usedNames: map[string]bool{}, roles: map[string]kefu.Role{}}
	w.from = o.Now.Add(-historyDays * 24 * time.Hour)
	d := w.from.In(loc).AddDate(0, 0, -1)
	w.setAt = time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, loc)
	for _, r := range auth.DefaultRoles() {
		w.roles[r.Name] = r
	}
	return w
}

// plan decides everything before anything is written.
func (w *world) plan() {
	h := w.planHualian()
	nw := w.planNorthwind()
	w.tenants = []*tenant{h, nw}
	if w.o.AdminEmail != "" {
		w.admin = &user{name: "系统管理员 Administrator", email: store.NormalizeEmail(w.o.AdminEmail), kind: kefu.UserAdmin,
			grants: []grant{{"admin", h.root}}, locale: zhHans}
		w.usedEmails[w.admin.email] = true
	}
	w.planStaff(h)
	w.planNorthwindStaff(nw)
	w.planStories(h) // story customers first: they keep their fixed phone numbers
	w.planCustomers(h, max(40, w.o.Tickets/6))
	w.planCustomers(nw, max(15, w.o.Tickets/45))
	w.planTickets(h, w.o.Tickets-w.storyTickets)
	w.planTickets(nw, max(15, w.o.Tickets/20))
}

func (t *tenant) addOrg(key, name string, kind kefu.OrgKind, parent *org) *org {
	o := &org{key: key, name: name, kind: kind, parent: parent}
	t.orgs = append(t.orgs, o)
	t.orgByKey[key] = o
	return o
}

func (t *tenant) addQueue(key, name, orgKey string, ch kefu.Channel, inHouse bool, skills ...string) {
	q := &queue{key: key, name: name, org: t.orgByKey[orgKey], channel: ch, inHouse: inHouse, skills: skills}
	t.queues = append(t.queues, q)
	t.queueBy[key] = q
}

func (t *tenant) addDept(key, name, email string) {
	d := &dept{key: key, kind: key, name: name, email: email}
	t.depts = append(t.depts, d)
	t.deptByKey[key] = d
}

func newTenant(slug, name, root, locale, tz, currency, domain string) *tenant {
	t := &tenant{slug: slug, name: name, rootName: root, locale: locale, tz: tz, currency: currency, domain: domain,
		orgByKey: map[string]*org{}, deptByKey: map[string]*dept{}, queueBy: map[string]*queue{}}
	t.root = t.addOrg("root", root, kefu.OrgGroup, nil)
	return t
}

func (w *world) planHualian() *tenant {
	t := newTenant("hualian", "华联集团 Hualian Group", "华联集团", zhHans, "Asia/Shanghai", "CNY", "hualian.example")
	t.addOrg("ins", "华联保险", kefu.OrgSubsidiary, t.root)
	bank := t.addOrg("bank", "华联银行", kefu.OrgSubsidiary, t.root)
	ride := t.addOrg("ride", "华联出行", kefu.OrgSubsidiary, t.root)
	t.addOrg("shop", "华联优选", kefu.OrgBrand, bank)
	t.addOrg("premier", "华联专车", kefu.OrgBrand, ride)
	t.addDept("finance", "财务部", "finance@hualian.example")
	t.addDept("product", "产品部", "product@hualian.example")
	t.addDept("logistics", "物流部", "logistics@hualian.example")
	t.addDept("legal", "法务部", "legal@hualian.example")
	t.addDept("pr", "公关部", "pr@hualian.example")
	t.vendor = &vendor{name: "远景外包 Vista BPO", contact: "ops@vista-bpo.example"}
	t.addQueue("ins_chat", "保险·在线客服", "ins", kefu.ChannelChat, false, "insurance", "chat", "zh-Hans")
	t.addQueue("ins_phone", "保险·热线", "ins", kefu.ChannelPhone, false, "insurance", "claims", "phone")
	t.addQueue("ins_email", "保险·邮件", "ins", kefu.ChannelEmail, false, "insurance", "email")
	t.addQueue("bank_chat", "银行·在线客服", "bank", kefu.ChannelChat, false, "banking", "credit_card", "shop", "chat")
	t.addQueue("bank_phone", "银行·热线", "bank", kefu.ChannelPhone, false, "banking", "credit_card", "phone")
	t.addQueue("bank_email", "银行·邮件", "bank", kefu.ChannelEmail, false, "banking", "shop", "email")
	t.addQueue("ride_chat", "出行·在线客服", "ride", kefu.ChannelChat, false, "rideshare", "lost_item", "chat")
	t.addQueue("ride_phone", "出行·热线", "ride", kefu.ChannelPhone, false, "rideshare", "phone")
	t.addQueue("ride_email", "出行·邮件", "ride", kefu.ChannelEmail, false, "rideshare", "invoice", "email")
	t.addQueue("safety", "出行·安全", "ride", "", true, "safety", "emergency")
	t.addQueue("complaint", "投诉岗", "root", "", true, "complaint")
	t.addQueue("problem", "问题解决组", "root", "", true, "expert", "repeat")
	t.addQueue("english", "English Desk", "root", kefu.ChannelChat, false, "en")
	t.scenarios = hualianScenarios
	t.langs = []weighted[string]{{zhHans, 78}, {zhHant, 12}, {en, 10}}
	return t
}

func (w *world) planNorthwind() *tenant {
	t := newTenant("northwind", "Northwind Retail", "Northwind Retail", en, "Asia/Taipei", "TWD", "northwind.example")
	t.addOrg("nw", "Northwind Online Store", kefu.OrgSubsidiary, t.root)
	t.addDept("warehouse", "Warehouse 倉庫", "warehouse@northwind.example")
	t.addDept("finance", "Finance", "finance@northwind.example")
	t.addQueue("nw_chat", "Retail Chat", "nw", kefu.ChannelChat, false, "retail", "chat")
	t.addQueue("nw_email", "Retail Email", "nw", kefu.ChannelEmail, false, "retail", "email")
	t.addQueue("escalations", "Escalations", "root", "", true, "escalation")
	t.scenarios = northwindScenarios
	t.langs = []weighted[string]{{en, 70}, {zhHant, 30}}
	return t
}

// --- people ---

func (w *world) personName(lang string) (name, greet, pinyin string) {
	for range 50 {
		switch lang {
		case en:
			f, l := pick(w.r, englishFirst), pick(w.r, englishLast)
			name, greet, pinyin = f+" "+l, f, strings.ToLower(l)
		case zhHant:
			s := pick(w.r, surnames)
			name, pinyin = s.hant+pick(w.r, givenHant), s.pinyin
			greet = name
		default:
			s := pick(w.r, surnames)
			name, pinyin = s.hans+pick(w.r, givenHans), s.pinyin
			greet = name
		}
		if !w.usedNames[name] {
			break
		}
	}
	w.usedNames[name] = true
	return name, greet, pinyin
}

func (w *world) email(local, domain string) string {
	local = strings.ToLower(strings.NewReplacer(" ", ".", "ü", "u").Replace(local))
	e := local + "@" + domain
	for i := 2; w.usedEmails[e]; i++ {
		e = fmt.Sprintf("%s%d@%s", local, i, domain)
	}
	w.usedEmails[e] = true
	return e
}

func (w *world) addStaff(t *tenant, kind kefu.UserKind, tier kefu.Tier, domain string, lang string, grants []grant, subs ...*org) *user {
	name, _, py := w.personName(lang)
	alias := pick(w.r, aliases)
	if lang == en {
		alias = strings.Fields(name)[0]
	}
	u := &user{name: name, alias: alias, kind: kind, tier: tier, grants: grants, subs: subs, locale: t.locale}
	u.email = w.email(alias+"."+py, domain)
	t.users = append(t.users, u)
	return u
}

func (w *world) planStaff(t *tenant) {
	o := t.orgByKey
	root, ins, bank, ride := t.root, o["ins"], o["bank"], o["ride"]
	dom := t.domain
	w.addStaff(t, kefu.UserManager, "", dom, zhHans, []grant{{"supervisor", root}}, ins, bank, ride)
	for range 2 {
		w.addStaff(t, kefu.UserSupervisor, kefu.TierExpert, dom, zhHans, []grant{{"supervisor", root}}, ins, bank, ride)
	}
	for _, s := range []*org{ins, bank, ride} {
		w.addStaff(t, kefu.UserTeamLead, kefu.TierSenior, dom, zhHans, []grant{{"team_lead", s}}, s)
	}
	cl := w.addStaff(t, kefu.UserTeamLead, kefu.TierExpert, dom, zhHans, []grant{{"team_lead", root}}, ins, bank, ride)
	cl.english = true
	for _, d := range t.depts {
		u := w.addStaff(t, kefu.UserDepartment, "", dom, zhHans, []grant{{"department", root}})
		u.dept = d
	}
	for range 3 {
		w.addStaff(t, kefu.UserSafety, kefu.TierSenior, dom, zhHans, []grant{{"safety", ride}}, ride)
	}
	rest := max(5, w.o.Agents-len(t.users))
	vendors := rest * 3 / 10
	experts := max(2, rest/10)
	english := 2
	inHouse := rest - vendors - experts - english
	for range experts {
		w.addStaff(t, kefu.UserAgent, kefu.TierExpert, dom, zhHans, []grant{{"agent", root}}, ins, bank, ride)
	}
	for range english {
		u := w.addStaff(t, kefu.UserAgent, kefu.TierSenior, dom, en, []grant{{"agent", root}}, ins, bank, ride)
		u.english, u.locale = true, en
	}
	subs := []*org{ins, bank, ride}
	tiers := []kefu.Tier{kefu.TierJunior, kefu.TierJunior, kefu.TierIntermediate, kefu.TierIntermediate, kefu.TierSenior}
	for i := range inHouse {
		s := subs[i%3]
		lang := zhHans
		if w.chance(0.1) {
			lang = zhHant // colleagues from Taiwan
		}
		grants := []grant{{"agent", s}}
		cover := []*org{s}
		if w.chance(0.25) {
			s2 := subs[(i+1)%3]
			grants = append(grants, grant{"agent", s2})
			cover = append(cover, s2)
		}
		w.addStaff(t, kefu.UserAgent, pick(w.r, tiers), dom, lang, grants, cover...)
	}
	for i := range vendors {
		s := ride
		if i%5 >= 3 {
			s = bank
		}
		u := w.addStaff(t, kefu.UserVendorAgent, pick(w.r, tiers[:4]), "vista-bpo.example", zhHans, []grant{{"vendor_agent", s}}, s)
		u.vendor = t.vendor
	}
}

func (w *world) planNorthwindStaff(t *tenant) {
	nw := t.orgByKey["nw"]
	dom := t.domain
	w.addStaff(t, kefu.UserSupervisor, kefu.TierExpert, dom, en, []grant{{"supervisor", t.root}}, nw)
	w.addStaff(t, kefu.UserTeamLead, kefu.TierSenior, dom, zhHant, []grant{{"team_lead", t.root}}, nw)
	for i := range 5 {
		lang := en
		if i%2 == 1 {
			lang = zhHant
		}
		u := w.addStaff(t, kefu.UserAgent, []kefu.Tier{kefu.TierJunior, kefu.TierIntermediate, kefu.TierSenior}[i%3], dom, lang, []grant{{"agent", nw}}, nw)
		u.english = true
	}
	for _, d := range t.depts {
		u := w.addStaff(t, kefu.UserDepartment, "", dom, en, []grant{{"department", t.root}})
		u.dept = d
	}
	for _, u := range t.users {
		u.locale = en
	}
}

// --- customers ---

func (w *world) phone(lang string) string {
	for {
		var p string
		if lang == zhHant {
			p = fmt.Sprintf("+886 9%02d %03d %03d", w.r.IntN(100), w.r.IntN(1000), w.r.IntN(1000))
		} else {
			p = fmt.Sprintf("+86 1%s%d %04d %04d", pick(w.r, []string{"3", "5", "8", "9"}), w.r.IntN(10), w.r.IntN(10000), w.r.IntN(10000))
		}
		if !w.usedPhones[p] {
			w.usedPhones[p] = true
			return p
		}
	}
}

func (w *world) next() int { w.serial++; return w.serial }

// planCustomers adds n customers with identities in the subsidiaries they
// deal with.
func (w *world) planCustomers(t *tenant, n int) {
	var subs []weighted[*org]
	for _, o := range t.orgs {
		if o.kind == kefu.OrgSubsidiary {
			wt := 1.0
			if o.key == "bank" { // the bank and its shop have the most customers
				wt = 1.35
			}
			subs = append(subs, weighted[*org]{o, wt})
		}
	}
	for range n {
		lang := pickW(w.r, t.langs)
		c := &customer{locale: lang, attrs: map[string]string{}}
		c.name, c.greet, _ = w.personName(lang)
		c.home = pickW(w.r, subs)
		c.subs = []*org{c.home}
		if len(subs) > 1 && w.chance(0.2) {
			if s := pickW(w.r, subs); s != c.home {
				c.subs = append(c.subs, s)
			}
		}
		switch u := w.r.Float64(); {
		case u < 0.03 && t.slug == "hualian":
			c.tier = "ka"
			if lang == en {
				c.company = pick(w.r, companiesEN)
			} else {
				c.company = pick(w.r, companies)
			}
			c.attrs["company"] = c.company
			c.attrs["account_manager"] = t.users[1].name
			if c.home == t.orgByKey["ins"] {
				c.home = t.orgByKey["ride"]
				c.subs[0] = c.home
			}
		case u < 0.05:
			c.tier = "ka"
		case u < 0.19:
			c.tier = "vip"
		default:
			c.tier = "standard"
		}
		w.addIdentities(t, c)
		tw := map[string]float64{"ka": 2.5, "vip": 1.6, "standard": 1}[c.tier]
		c.weight = tw * (0.15 + w.r.ExpFloat64())
		t.customers = append(t.customers, c)
	}
}

func (w *world) addIdentities(t *tenant, c *customer) {
	py := "user"
	if fs := strings.Fields(c.name); len(fs) > 1 {
		py = strings.ToLower(fs[len(fs)-1])
	} else {
		for _, s := range surnames {
			if strings.HasPrefix(c.name, s.hans) || strings.HasPrefix(c.name, s.hant) {
				py = s.pinyin
				break
			}
		}
	}
	phoneLang := c.locale
	if t.slug == "northwind" {
		phoneLang = zhHant // Taiwanese numbers
	}
	if w.chance(0.95) {
		c.idents = append(c.idents, ident{kind: kefu.IdentityPhone, value: w.phone(phoneLang)})
	}
	if c.company != "" || w.chance(0.7) || len(c.idents) == 0 {
		local := fmt.Sprintf("%s%d", py, 100+w.r.IntN(9000))
		if c.locale == en {
			local = strings.ToLower(c.greet) + "." + py
		}
		c.idents = append(c.idents, ident{kind: kefu.IdentityEmail, value: w.email(local, pick(w.r, emailDomains))})
	}
	if w.chance(0.45) {
		c.idents = append(c.idents, ident{kind: kefu.IdentityApp, value: fmt.Sprintf("u%08d", 10000000+w.next()*37)})
	}
	if w.chance(0.25) {
		c.idents = append(c.idents, ident{kind: kefu.IdentityChat, value: fmt.Sprintf("v_%06x", 0x100000+w.next()*7919)})
	}
	for _, s := range c.subs {
		var v string
		switch s.key {
		case "ins":
			v = fmt.Sprintf("INS-C%08d", 20000000+w.next()*13)
			c.attrs["policies"] = fmt.Sprint(1 + w.r.IntN(3))
		case "bank":
			v = fmt.Sprintf("CIF%010d", 6200000000+int64(w.next())*101) // int64: 32-bit builds
			c.attrs["card_level"] = pick(w.r, []string{"普卡", "金卡", "白金卡", "钻石卡"})
		case "ride":
			v = fmt.Sprintf("RID%08d", 30000000+w.next()*17)
		case "nw":
			v = fmt.Sprintf("NW-%06d", 100000+w.next()*3)
		}
		c.idents = append(c.idents, ident{kind: kefu.IdentityExternal, value: v, org: s})
	}
	if c.locale == en && t.slug == "hualian" {
		c.attrs["city"] = pick(w.r, citiesEN)
	} else if t.slug == "hualian" {
		c.attrs["city"] = pick(w.r, cities)
	} else {
		c.attrs["city"] = pick(w.r, []string{"Taipei", "New Taipei", "Taichung", "Kaohsiung", "Hsinchu", "Tainan"})
	}
	c.attrs["source"] = "CRM import"
}

// --- writing the organization, people and customers ---

func (w *world) setClock(t time.Time) {
	if w.o.Clock != nil {
		w.o.Clock.Set(t)
	}
}

func (w *world) setup(ctx context.Context, adminHash string) error {
	w.setClock(w.setAt)
	for _, t := range w.tenants {
		tc, err := w.s.CreateTenant(ctx, store.System, store.NewTenant{
			Tenant:  kefu.Tenant{Slug: t.slug, Name: t.name, Locale: t.locale, TimeZone: t.tz},
			RootOrg: t.rootName, Tiers: auth.DefaultTiers(), Roles: auth.DefaultRoles()})
		if err != nil {
			return fmt.Errorf("demo: create tenant %s: %w", t.slug, err)
		}
		t.id, t.root.id = tc.Tenant.ID, tc.Root.ID
		t.roleIDs = map[string]string{}
		for _, r := range tc.Roles {
			t.roleIDs[r.Name] = r.ID
		}
		for _, o := range t.orgs[1:] {
			got, err := w.s.CreateOrg(ctx, t.id, store.System, kefu.Org{ParentID: o.parent.id, Kind: o.kind, Name: o.name})
			if err != nil {
				return fmt.Errorf("demo: create org %s: %w", o.name, err)
			}
			o.id = got.ID
		}
		for _, d := range t.depts {
			got, err := w.s.CreateDepartment(ctx, t.id, store.System, kefu.Department{OrgID: t.root.id, Kind: d.kind, Name: d.name, Email: d.email})
			if err != nil {
				return fmt.Errorf("demo: create department %s: %w", d.name, err)
			}
			d.id = got.ID
		}
		if t.vendor != nil {
			v, err := w.s.CreateVendor(ctx, t.id, store.System, kefu.Vendor{Name: t.vendor.name, Contact: t.vendor.contact})
			if err != nil {
				return fmt.Errorf("demo: create vendor: %w", err)
			}
			t.vendor.id = v.ID
		}
		for _, q := range t.queues {
			got, err := w.s.CreateQueue(ctx, t.id, store.System, kefu.Queue{OrgID: q.org.id, Name: q.name, Channel: string(q.channel), Skills: q.skills, InHouseOnly: q.inHouse})
			if err != nil {
				return fmt.Errorf("demo: create queue %s: %w", q.name, err)
			}
			q.id = got.ID
		}
	}
	if w.admin != nil {
		w.admin.hash = adminHash
		if err := w.createUser(ctx, w.tenants[0], w.admin, true); err != nil {
			return err
		}
	}
	w.setClock(w.setAt.Add(time.Hour))
	type job struct {
		t *tenant
		u *user
	}
	var jobs []job
	for _, t := range w.tenants {
		for _, u := range t.users {
			jobs = append(jobs, job{t, u})
		}
	}
	if err := parallel(ctx, len(jobs), w.o.Workers, func(i int) error {
		return w.createUser(ctx, jobs[i].t, jobs[i].u, false)
	}); err != nil {
		return err
	}
	w.setClock(w.setAt.Add(2 * time.Hour))
	type cjob struct {
		t *tenant
		c *customer
	}
	var cjobs []cjob
	for _, t := range w.tenants {
		for _, c := range t.customers {
			cjobs = append(cjobs, cjob{t, c})
		}
	}
	return parallel(ctx, len(cjobs), w.o.Workers, func(i int) error {
		t, c := cjobs[i].t, cjobs[i].c
		kc := kefu.Customer{OrgID: c.home.id, Name: c.name, Tier: c.tier, Locale: c.locale, Attributes: c.attrs}
		for _, id := range c.idents {
			ki := kefu.Identity{Kind: id.kind, Value: id.value}
			if id.org != nil {
				ki.OrgID = id.org.id
			}
			kc.Identities = append(kc.Identities, ki)
		}
		got, err := w.s.CreateCustomer(ctx, store.Whole(t.id), store.System, kc)
		if err != nil {
			return fmt.Errorf("demo: create customer %s: %w", c.name, err)
		}
		c.id = got.ID
		return nil
	})
}

func (w *world) createUser(ctx context.Context, t *tenant, u *user, platform bool) error {
	ku := kefu.User{Email: u.email, Name: u.name, Kind: u.kind, Tier: u.tier, Locale: u.locale, PlatformAdmin: platform, PasswordHash: u.hash}
	if u.vendor != nil {
		ku.VendorID = u.vendor.id
	}
	if u.dept != nil {
		ku.DepartmentID = u.dept.id
	}
	for _, g := range u.grants {
		ku.Grants = append(ku.Grants, kefu.Grant{RoleID: t.roleIDs[g.role], OrgID: g.org.id})
	}
	got, err := w.s.CreateUser(ctx, t.id, store.System, ku)
	if err != nil {
		return fmt.Errorf("demo: create user %s: %w", u.email, err)
	}
	u.id = got.ID
	return nil
}
