package demo

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

// op is one store call at a planned time. Ops of one ticket run in order;
// ops of different tickets may run concurrently (see run.go).
type op struct {
	at        time.Time // planned
	notBefore time.Time // if set, never stamped earlier (e.g. a late answer stays after its deadline)
	seq       int
	t         *ticket // the ticket it writes (nil for customer-level ops)
	other     *ticket // a second ticket it touches (links)
	create    bool    // creates t: run in plan order so ticket numbers are reproducible
	with      bool    // done together with the previous op of t (same moment, e.g. send and solve)
	barrier   bool    // runs alone (merges move many tickets)
	what      string
	run       func(ctx context.Context) error

	lo, hi time.Time // the window the scheduler may stamp it in
}

func (w *world) add(o *op) {
	o.seq = w.seq
	w.seq++
	w.ops = append(w.ops, o)
}

// --- time ---

func isWorkday(t time.Time) bool { return t.Weekday() != time.Saturday && t.Weekday() != time.Sunday }

func (w *world) day(t time.Time, hh, mm int) time.Time {
	l := t.In(w.loc)
	return time.Date(l.Year(), l.Month(), l.Day(), hh, mm, 0, 0, w.loc)
}

// officeTime moves t into the agents' day (08:30–21:30 local).
func (w *world) officeTime(t time.Time) time.Time {
	l := t.In(w.loc)
	start, end := w.day(l, 8, 30), w.day(l, 21, 30)
	switch {
	case l.Before(start):
		return start.Add(w.between(0, 40*time.Minute))
	case !l.Before(end):
		return start.AddDate(0, 0, 1).Add(w.between(0, 40*time.Minute))
	}
	return t
}

// deptTime moves t into office hours of the back office (weekdays 09:00–18:00).
func (w *world) deptTime(t time.Time) time.Time {
	l := t.In(w.loc)
	for i := 0; i < 10; i++ {
		start, end := w.day(l, 9, 0), w.day(l, 18, 0)
		if isWorkday(l) && !l.Before(start) && l.Before(end) {
			return l
		}
		if isWorkday(l) && l.Before(start) {
			return start.Add(w.between(0, 50*time.Minute))
		}
		l = w.day(l, 9, 0).AddDate(0, 0, 1)
		if isWorkday(l) {
			return l.Add(w.between(0, 50*time.Minute))
		}
	}
	return l
}

// workdaysLater is 18:00 local on the n-th working day after t.
func (w *world) workdaysLater(t time.Time, n int) time.Time {
	d := t.In(w.loc)
	for i := 0; i < n; {
		d = d.AddDate(0, 0, 1)
		if isWorkday(d) {
			i++
		}
	}
	return w.day(d, 18, 0)
}

func (w *world) dueFor(kind kefu.CommitmentKind, at time.Time) time.Time {
	switch kind {
	case kefu.CommitRefund:
		return w.workdaysLater(at, 3)
	case kefu.CommitExpedite:
		return w.workdaysLater(at, 1)
	case kefu.CommitCallback:
		d := at.Add(w.between(90*time.Minute, 3*time.Hour)).Truncate(30 * time.Minute)
		if l := d.In(w.loc); l.Hour() >= 21 || l.Hour() < 8 {
			next := w.day(l, 10, 0)
			if l.Hour() >= 21 {
				next = next.AddDate(0, 0, 1)
			}
			return next
		}
		return d
	default:
		return w.workdaysLater(at, 2)
	}
}

var weekdayHans = []string{"日", "一", "二", "三", "四", "五", "六"}

func (w *world) fmtDue(t time.Time, lang string) string {
	l := t.In(w.loc)
	switch lang {
	case en:
		return l.Format("Mon 2 Jan 15:04")
	case zhHant:
		return fmt.Sprintf("%d月%d日（週%s）%02d:%02d", l.Month(), l.Day(), weekdayHans[l.Weekday()], l.Hour(), l.Minute())
	}
	return fmt.Sprintf("%d月%d日（周%s）%02d:%02d", l.Month(), l.Day(), weekdayHans[l.Weekday()], l.Hour(), l.Minute())
}

func (w *world) fmtDate(t time.Time, lang string) string {
	l := t.In(w.loc)
	if lang == en {
		return l.Format("2 Jan")
	}
	return fmt.Sprintf("%d月%d日", l.Month(), l.Day())
}

func fmtAmount(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// isDouble11 reports the days of the Double 11 shopping festival and its aftermath.
func (w *world) isDouble11(t time.Time) bool {
	l := t.In(w.loc)
	return l.Month() == time.November && l.Day() >= 10 && l.Day() <= 15
}

// volume is the relative contact volume of the hour starting at t.
func (w *world) volume(t time.Time) float64 {
	l := t.In(w.loc)
	hours := []float64{1, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 7, 9, 8.5, 6, 7, 8.5, 8.5, 8, 7, 5.5, 5, 5.5, 5, 3.5, 2}
	days := map[time.Weekday]float64{time.Monday: 1.18, time.Tuesday: 1.05, time.Wednesday: 1, time.Thursday: 1, time.Friday: 0.95, time.Saturday: 0.7, time.Sunday: 0.62}
	v := hours[l.Hour()] * days[l.Weekday()]
	if l.Month() == time.November {
		switch l.Day() {
		case 10:
			v *= 1.6
		case 11:
			v *= 4
			if l.Hour() < 3 { // the sale opens at midnight
				v *= 6
			}
		case 12:
			v *= 2.6
		case 13:
			v *= 1.9
		case 14:
			v *= 1.4
		case 15:
			v *= 1.2
		}
	}
	return v
}

// sampleTimes draws n creation times between from and now following volume.
func (w *world) sampleTimes(n int) []time.Time {
	type bucket struct {
		start time.Time
		span  time.Duration
		cum   float64
	}
	var bs []bucket
	total := 0.0
	for h := w.from.Truncate(time.Hour); h.Before(w.now); h = h.Add(time.Hour) {
		start, end := h, h.Add(time.Hour)
		if start.Before(w.from) {
			start = w.from
		}
		if end.After(w.now) {
			end = w.now
		}
		span := end.Sub(start)
		if span <= 0 {
			continue
		}
		total += w.volume(h) * span.Hours()
		bs = append(bs, bucket{start, span, total})
	}
	out := make([]time.Time, n)
	for i := range out {
		u := w.r.Float64() * total
		k := sort.Search(len(bs), func(j int) bool { return bs[j].cum > u })
		k = min(k, len(bs)-1)
		out[i] = bs[k].start.Add(time.Duration(w.r.Int64N(int64(bs[k].span)))).Truncate(time.Second)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// --- authority ---

func (w *world) principal(u *user) *store.Principal {
	p := &store.Principal{User: kefu.User{ID: u.email}, Roles: map[string]kefu.Role{}}
	for _, g := range u.grants {
		p.Grants = append(p.Grants, kefu.Grant{RoleID: g.role})
		p.Roles[g.role] = w.roles[g.role]
	}
	return p
}

func (w *world) within(u *user, a kefu.Action, amount int64) bool {
	return auth.WithinLimit(w.principal(u), a, amount)
}

// approver finds someone with the authority to approve a request: a team
// lead over the subsidiary first, then a supervisor or manager.
func (w *world) approver(t *tenant, requester *user, sub *org, a kefu.Action, amount int64) *user {
	req := kefu.ActionRequest{Action: a, Amount: amount}
	var leads, others []*user
	for _, u := range t.users {
		if u == requester || auth.CanApprove(w.principal(u), req) != nil {
			continue
		}
		covers := false
		for _, g := range u.grants {
			if g.org == sub || g.org == t.root || g.org.sub() == sub {
				covers = true
			}
		}
		if !covers {
			continue
		}
		if u.kind == kefu.UserTeamLead {
			leads = append(leads, u)
		} else if u.kind == kefu.UserSupervisor || u.kind == kefu.UserManager {
			others = append(others, u)
		}
	}
	if len(leads) > 0 {
		return pick(w.r, leads)
	}
	if len(others) > 0 {
		return pick(w.r, others)
	}
	return nil
}

// --- routing ---

func (t *tenant) queueFor(sc *scenario, sub *org, ch kefu.Channel, lang string, w *world) *queue {
	if sc.queue != "" {
		return t.queueBy[sc.queue]
	}
	if q := t.queueBy["english"]; q != nil && lang == en && ch != kefu.ChannelPhone && w.chance(0.8) {
		return q
	}
	class := "chat"
	switch ch {
	case kefu.ChannelPhone:
		class = "phone"
	case kefu.ChannelEmail, kefu.ChannelForm:
		class = "email"
	}
	if q := t.queueBy[sub.key+"_"+class]; q != nil {
		return q
	}
	if class == "phone" {
		class = "chat"
	}
	if q := t.queueBy[sub.key+"_"+class]; q != nil {
		return q
	}
	return t.queues[0]
}

// pool lists who works a queue. Vendor agents take chat and phone work of
// their subsidiaries, never in-house-only queues.
func (t *tenant) pool(q *queue) []weighted[*user] {
	var out []weighted[*user]
	for _, u := range t.users {
		wt := 0.0
		switch q.key {
		case "safety":
			if u.kind == kefu.UserSafety {
				wt = 1
			}
		case "complaint", "escalations":
			switch {
			case u.kind == kefu.UserTeamLead && (u.tier == kefu.TierExpert || q.key == "escalations"):
				wt = 1
			case u.kind == kefu.UserAgent && (u.tier == kefu.TierExpert || u.tier == kefu.TierSenior):
				wt = 1
			}
		case "problem":
			if u.kind == kefu.UserAgent && u.tier == kefu.TierExpert {
				wt = 1
			}
		case "english":
			if u.english && u.kind == kefu.UserAgent {
				wt = 1
			}
		default:
			covers := false
			for _, s := range u.subs {
				if s == q.org.sub() {
					covers = true
				}
			}
			switch {
			case !covers:
			case u.kind == kefu.UserAgent && u.tier != kefu.TierExpert:
				wt = 1
			case u.kind == kefu.UserVendorAgent && (q.channel == kefu.ChannelChat || q.channel == kefu.ChannelPhone) && !q.inHouse:
				wt = 1.2
			}
		}
		if wt > 0 {
			out = append(out, weighted[*user]{u, wt})
		}
	}
	if len(out) == 0 {
		for _, u := range t.users {
			if u.kind == kefu.UserAgent || u.kind == kefu.UserTeamLead {
				out = append(out, weighted[*user]{u, 1})
			}
		}
	}
	return out
}

func (t *tenant) staff(kind kefu.UserKind, match func(*user) bool) []*user {
	var out []*user
	for _, u := range t.users {
		if u.kind == kind && (match == nil || match(u)) {
			out = append(out, u)
		}
	}
	return out
}

func (t *tenant) deptStaff(d *dept) *user {
	for _, u := range t.users {
		if u.dept == d {
			return u
		}
	}
	return nil
}

// --- the ticket builder ---

// tb plans one ticket's life: it keeps the ticket's simulated status so
// every planned move is one the store allows, and drops everything planned
// after Now, which leaves recent tickets naturally unfinished.
type tb struct {
	w      *world
	ten    *tenant
	t      *ticket
	c      *customer
	sc     *scenario
	lang   string
	txt    lines
	ph     phrases
	vars   map[string]string
	ch     kefu.Channel
	org    *org
	queue  *queue
	agent  *user
	prio   kefu.Priority
	tags   []string
	amount int64
	due    time.Time // the promise date quoted in the texts
	quick  bool      // a live channel: chat, app, phone

	at       time.Time
	status   kefu.Status
	open     int // open commitments
	commits  int
	actions  int
	alive    bool
	assigned bool
	together bool // the next op is done together with the previous one
}

func (w *world) newTicket(ten *tenant, created time.Time, c *customer, sc *scenario, lang string) *tb {
	r := w.r
	b := &tb{w: w, ten: ten, c: c, sc: sc, lang: lang, txt: sc.text[lang], ph: common[lang], at: created, alive: true, status: kefu.StatusNew}
	b.t = &ticket{ten: ten}
	ten.tickets = append(ten.tickets, b.t)
	b.org = ten.orgByKey[sc.org]
	b.ch = pick(r, sc.channels)
	if h := created.In(w.loc).Hour(); b.ch == kefu.ChannelPhone && (h < 8 || h >= 22) {
		b.ch = pick(r, []kefu.Channel{kefu.ChannelChat, kefu.ChannelApp, kefu.ChannelEmail})
	}
	b.quick = b.ch == kefu.ChannelChat || b.ch == kefu.ChannelApp || b.ch == kefu.ChannelPhone
	b.queue = ten.queueFor(sc, b.org.sub(), b.ch, lang, w)
	b.agent = pickW(r, ten.pool(b.queue))
	b.prio = sc.priority
	if b.prio == "" {
		b.prio = kefu.PriorityNormal
	}
	switch {
	case c.tier == "ka" && kefu.PriorityRank(b.prio) < kefu.PriorityRank(kefu.PriorityHigh):
		b.prio = kefu.PriorityHigh
	case c.tier == "vip" && b.prio == kefu.PriorityLow:
		b.prio = kefu.PriorityNormal
	}
	b.tags = append([]string{}, sc.tags...)
	if sc.org == "shop" && w.isDouble11(created) {
		b.tags = append(b.tags, "双11")
	}
	switch c.tier {
	case "ka":
		b.tags = append(b.tags, "KA")
	case "vip":
		b.tags = append(b.tags, "VIP")
	}
	if lang == en && ten.slug == "hualian" {
		b.tags = append(b.tags, "English")
	}
	lo, hi := sc.amount[0], sc.amount[1]
	if hi == 0 {
		lo, hi = 200, 8000
	}
	b.amount = int64(lo+r.IntN(hi-lo+1))*100 + int64(pick(r, []int{0, 0, 0, 0, 50, 80, 90}))
	kind := sc.commit
	if kind == "" {
		kind = kefu.CommitFollowUp
	}
	b.due = w.dueFor(kind, created.Add(10*time.Minute))
	city := pick(r, cities)
	if lang == en {
		city = pick(r, citiesEN)
	}
	company := c.company
	if company == "" {
		company = pick(r, companies)
	}
	order := fmt.Sprintf("YX%s%06d", created.In(w.loc).Format("0102"), r.IntN(1000000))
	if ten.slug == "northwind" {
		order = fmt.Sprintf("NW-%07d", 4000000+r.IntN(900000))
	}
	b.vars = map[string]string{
		"cname": c.greet, "agent": b.agent.display(lang), "order": order, "amount": fmtAmount(b.amount),
		"date": w.fmtDate(created.Add(-w.between(36*time.Hour, 6*24*time.Hour)), lang), "due": w.fmtDue(b.due, lang),
		"policy": fmt.Sprintf("PA%d%08d", created.In(w.loc).Year()-1-r.IntN(4), r.IntN(100000000)),
		"claim":  fmt.Sprintf("CL%s%05d", created.In(w.loc).Format("200601"), r.IntN(100000)),
		"card":   fmt.Sprintf("%04d", r.IntN(10000)), "trip": fmt.Sprintf("T%s%07d", created.In(w.loc).Format("0102"), r.IntN(10000000)),
		"plate": fmt.Sprintf("%s·%s%d%s%d%d", pick(r, platePrefixes), string(rune('A'+r.IntN(26))), r.IntN(10), string(rune('A'+r.IntN(26))), r.IntN(10), r.IntN(10)),
		"city":  city, "company": company, "digits": fmt.Sprintf("%012d", r.Int64N(1000000000000)),
	}
	return b
}

func (b *tb) render(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var out strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			out.WriteString(s)
			return out.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			out.WriteString(s)
			return out.String()
		}
		key := s[i+1 : i+j]
		out.WriteString(s[:i])
		if v, ok := b.vars[key]; ok {
			out.WriteString(v)
		} else {
			out.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

func (b *tb) line(alts []string) string {
	if len(alts) == 0 {
		return ""
	}
	return b.render(pick(b.w.r, alts))
}

// sched plans fn at (or just after) at, unless the ticket's story has
// reached the present.
func (b *tb) sched(at time.Time, what string, fn func(ctx context.Context) error) bool {
	return b.schedWith(at, what, nil, fn)
}

func (b *tb) schedWith(at time.Time, what string, other *ticket, fn func(ctx context.Context) error) bool {
	with := b.together
	b.together = false
	if !b.alive {
		return false
	}
	if with {
		at = b.at
	} else if earliest := b.at.Add(time.Second); at.Before(earliest) {
		at = earliest
	}
	if at.After(b.w.now) {
		b.alive = false
		return false
	}
	b.at = at.Truncate(time.Second)
	b.w.add(&op{at: b.at, t: b.t, other: other, with: with, what: what, run: fn})
	return true
}

// pin keeps the last planned op from being stamped before t.
func (b *tb) pin(t time.Time) {
	if o := b.w.ops[len(b.w.ops)-1]; o.t == b.t && b.alive {
		o.notBefore = t
	}
}

// then makes the next op part of the same action as the last one.
func (b *tb) then() *tb {
	b.together = true
	return b
}

// custLater and agentLater are when the next message of each side comes.
func (b *tb) custLater() time.Time {
	if b.quick {
		return b.at.Add(b.w.between(40*time.Second, 5*time.Minute))
	}
	t := b.at.Add(b.w.between(30*time.Minute, 26*time.Hour))
	if h := t.In(b.w.loc).Hour(); h < 7 {
		t = t.Add(time.Duration(8-h) * time.Hour)
	}
	return t
}

func (b *tb) agentLater() time.Time {
	if b.quick {
		return b.at.Add(b.w.between(20*time.Second, 4*time.Minute))
	}
	return b.w.officeTime(b.at.Add(b.w.between(20*time.Minute, 5*time.Hour)))
}

func (b *tb) create(by store.Actor, byUser *user, body string) {
	ten, t, c := b.ten, b.t, b.c
	kt := kefu.Ticket{Channel: b.ch, Subject: b.render(b.txt.Subject), Priority: b.prio, Category: b.sc.category, Tags: b.tags}
	org, q := b.org, b.queue
	var assignee *user
	if b.assigned {
		assignee = b.agent
	}
	body = b.render(body)
	b.w.add(&op{at: b.at, t: t, create: true, what: "create ticket", run: func(ctx context.Context) error {
		kt.OrgID, kt.QueueID = org.id, q.id
		if assignee != nil {
			kt.AssigneeID = assignee.id
		}
		a := by
		if byUser != nil {
			a = byUser.actor()
		} else if a.Kind == "customer" {
			a.ID = c.id
		}
		got, _, err := b.w.s.CreateTicket(ctx, store.Whole(ten.id), a, store.NewTicket{Ticket: kt, Customer: store.CustomerRef{ID: c.id},
			Message: &kefu.Message{Kind: kefu.MessageCustomer, Body: body}})
		if err != nil {
			return err
		}
		t.id = got.ID
		ten.n.messages.Add(1)
		return nil
	}})
}

func (b *tb) message(at time.Time, kind kefu.MessageKind, by *user, body string) bool {
	ten, t, c := b.ten, b.t, b.c
	body = b.render(body)
	if body == "" {
		return false
	}
	ok := b.sched(at, "message", func(ctx context.Context) error {
		a := c.actor()
		if by != nil {
			a = by.actor()
		}
		_, err := b.w.s.AddMessage(ctx, store.Whole(ten.id), a, t.id, kefu.Message{Kind: kind, Body: body})
		if err == nil {
			ten.n.messages.Add(1)
		}
		return err
	})
	if ok {
		switch {
		case kind == kefu.MessageAgent && b.status == kefu.StatusNew:
			b.status = kefu.StatusOpen
		case kind == kefu.MessageCustomer && (b.status == kefu.StatusPending || b.status == kefu.StatusSolved):
			b.status = kefu.StatusOpen
		}
	}
	return ok
}

func (b *tb) fromCustomer(at time.Time, body string) bool {
	return b.message(at, kefu.MessageCustomer, nil, body)
}

func (b *tb) reply(at time.Time, by *user, body string) bool {
	return b.message(at, kefu.MessageAgent, by, body)
}

func (b *tb) note(at time.Time, by *user, body string) bool {
	return b.message(at, kefu.MessageNote, by, body)
}

func (b *tb) patch(at time.Time, by *user, what string, p store.TicketPatch) bool {
	ten, t := b.ten, b.t
	return b.sched(at, what, func(ctx context.Context) error {
		a := store.System
		if by != nil {
			a = by.actor()
		}
		_, err := b.w.s.UpdateTicket(ctx, store.Whole(ten.id), a, t.id, p)
		return err
	})
}

func (b *tb) assign(at time.Time, u *user) bool {
	id := new(string)
	ok := b.sched(at, "assign", func(ctx context.Context) error {
		*id = u.id
		_, err := b.w.s.UpdateTicket(ctx, store.Whole(b.ten.id), u.actor(), b.t.id, store.TicketPatch{AssigneeID: id})
		return err
	})
	if ok {
		b.agent, b.assigned = u, true
	}
	return ok
}

// setStatus moves the ticket; solving with open commitments releases them
// with the reason given.
func (b *tb) setStatus(at time.Time, by *user, to kefu.Status, release string) bool {
	if !kefu.CanMove(b.status, to) || to == b.status {
		return false
	}
	if to.Settled() && b.open > 0 && release == "" {
		return false
	}
	p := store.TicketPatch{Status: &to}
	if release != "" && b.open > 0 {
		p.ReleaseOpenCommitments, p.ReleaseReason = true, release
	}
	if !b.patch(at, by, "status "+string(to), p) {
		return false
	}
	if p.ReleaseOpenCommitments {
		b.open = 0
	}
	b.status = to
	return true
}

func (b *tb) commit(at time.Time, by *user, kind kefu.CommitmentKind, desc string, due time.Time) int {
	ten, t := b.ten, b.t
	desc = b.render(desc)
	if desc == "" {
		desc = string(kind)
	}
	ok := b.sched(at, "commitment", func(ctx context.Context) error {
		c, err := b.w.s.AddCommitment(ctx, store.Whole(ten.id), by.actor(), t.id, kefu.Commitment{Kind: kind, Description: desc, DueAt: due})
		if err != nil {
			return err
		}
		t.commits = append(t.commits, c.ID)
		ten.n.commitments.Add(1)
		return nil
	})
	if !ok {
		return -1
	}
	b.open++
	b.commits++
	return b.commits - 1
}

func (b *tb) settle(at time.Time, by *user, idx int, to kefu.CommitmentState, reason string) bool {
	if idx < 0 {
		return false
	}
	ten, t := b.ten, b.t
	ok := b.sched(at, "settle commitment", func(ctx context.Context) error {
		_, err := b.w.s.SettleCommitment(ctx, store.Whole(ten.id), by.actor(), t.id, t.commits[idx], to, reason)
		return err
	})
	if ok {
		b.open--
	}
	return ok
}

// forward sends the ticket to a department with a deadline; the deadline
// is a department commitment. Without a manual clock a deadline may already
// be past: then it is recorded as a commitment of its own.
func (b *tb) forward(at time.Time, by *user, d *dept, note string, due time.Time) int {
	if b.status.Settled() {
		return -1
	}
	ten, t := b.ten, b.t
	note = b.render(note)
	ok := b.sched(at, "forward", func(ctx context.Context) error {
		sc := store.Whole(ten.id)
		if due.After(b.w.s.Now().Add(time.Minute)) {
			_, c, err := b.w.s.Forward(ctx, sc, by.actor(), t.id, d.id, note, &due)
			if err != nil {
				return err
			}
			t.commits = append(t.commits, c.ID)
		} else {
			if _, _, err := b.w.s.Forward(ctx, sc, by.actor(), t.id, d.id, note, nil); err != nil {
				return err
			}
			c, err := b.w.s.AddCommitment(ctx, sc, by.actor(), t.id, kefu.Commitment{Kind: kefu.CommitDepartment, DepartmentID: d.id, DueAt: due, Description: "Answer from " + d.name})
			if err != nil {
				return err
			}
			t.commits = append(t.commits, c.ID)
		}
		ten.n.forwards.Add(1)
		ten.n.commitments.Add(1)
		ten.n.messages.Add(1)
		return nil
	})
	if !ok {
		return -1
	}
	b.status = kefu.StatusOnHold
	b.open++
	b.commits++
	return b.commits - 1
}

func (b *tb) actionReason(a kefu.Action) string {
	subj := b.render(b.txt.Subject)
	switch b.lang {
	case en:
		switch a {
		case kefu.ActionRestrictDriver:
			return "Restrict the driver's account: " + subj
		case kefu.ActionCompensate:
			return "Compensate the customer: " + subj
		}
		return "Refund to the customer: " + subj
	case zhHant:
		switch a {
		case kefu.ActionRestrictDriver:
			return "限制司機帳號接單：" + subj
		case kefu.ActionCompensate:
			return "補償客戶：" + subj
		}
		return "為客戶退款：" + subj
	}
	switch a {
	case kefu.ActionRestrictDriver:
		return "限制司机账号接单：" + subj
	case kefu.ActionCompensate:
		return "补偿客户：" + subj
	}
	return "为客户退款：" + subj
}

// action requests an authority-bearing action; within the requester's limit
// it is executed at once, above it it waits for approval.
func (b *tb) action(at time.Time, by *user, a kefu.Action, amount int64) (idx int, within bool) {
	ten, t := b.ten, b.t
	cur := ten.currency
	if amount == 0 {
		cur = ""
	}
	params := map[string]string{}
	switch a {
	case kefu.ActionRestrictDriver:
		params["driver_id"] = fmt.Sprintf("DRV%07d", b.w.r.IntN(10000000))
		params["duration"] = "7d"
	default:
		if o := b.vars["order"]; o != "" && (b.sc.org == "shop" || b.ten.slug == "northwind") {
			params["order"] = o
		}
	}
	within = b.w.within(by, a, amount)
	reason := b.actionReason(a)
	ok := b.sched(at, "action "+string(a), func(ctx context.Context) error {
		r, err := b.w.s.RequestAction(ctx, store.Whole(ten.id), by.actor(), t.id,
			kefu.ActionRequest{Action: a, Amount: amount, Currency: cur, Reason: reason, Params: params}, within)
		if err != nil {
			return err
		}
		t.actions = append(t.actions, r.ID)
		ten.n.actions.Add(1)
		return nil
	})
	if !ok {
		return -1, within
	}
	b.actions++
	return b.actions - 1, within
}

func (b *tb) decide(at time.Time, by *user, idx int, approve bool, note string) bool {
	if idx < 0 {
		return false
	}
	ten, t := b.ten, b.t
	return b.sched(at, "decide action", func(ctx context.Context) error {
		_, err := b.w.s.DecideAction(ctx, store.Whole(ten.id), by.actor(), t.actions[idx], approve, note)
		return err
	})
}

func (b *tb) link(at time.Time, by *user, other *ticket, kind kefu.LinkKind) bool {
	ten, t := b.ten, b.t
	return b.schedWith(at, "link", other, func(ctx context.Context) error {
		_, err := b.w.s.Link(ctx, store.Whole(ten.id), by.actor(), t.id, other.id, kind)
		if err == nil {
			ten.n.links.Add(1)
		}
		return err
	})
}

// finish solves the ticket with a last word and, most of the time, closes
// it a few days later (auto-close).
func (b *tb) finish(by *user, thanks bool) {
	if thanks && b.quick {
		b.fromCustomer(b.custLater(), b.ph.thanks)
	}
	if !b.reply(b.agentLater(), by, b.line(b.txt.Solve)) {
		return
	}
	if !b.then().setStatus(b.at, by, kefu.StatusSolved, "") { // send and solve
		return
	}
	if b.w.chance(0.92) {
		b.autoClose()
	}
}

// autoClose closes a solved ticket in the nightly job (02:00) once it has
// been solved for three days.
func (b *tb) autoClose() bool {
	at := b.w.day(b.at.Add(72*time.Hour), 2, 0)
	if at.Before(b.at.Add(72 * time.Hour)) {
		at = at.AddDate(0, 0, 1)
	}
	if !b.setStatus(at, nil, kefu.StatusClosed, "") {
		return false
	}
	b.pin(at) // the job runs at 02:00 sharp
	return true
}

// --- generic tickets ---

func (w *world) planTickets(t *tenant, n int) {
	if n <= 0 {
		return
	}
	var cum []float64
	total := 0.0
	for _, c := range t.customers {
		total += c.weight
		cum = append(cum, total)
	}
	pickCustomer := func() *customer {
		k := sort.SearchFloat64s(cum, w.r.Float64()*total)
		return t.customers[min(k, len(t.customers)-1)]
	}
	for _, at := range w.sampleTimes(n) {
		c := pickCustomer()
		if t.slug == "hualian" && w.isDouble11(at) && w.chance(0.55) {
			for i := 0; i < 20 && !c.has(t.orgByKey["bank"]); i++ {
				c = pickCustomer()
			}
		}
		sc, lang := w.scenarioFor(t, c, at)
		w.genericTicket(t, at, c, sc, lang)
	}
}

// scenarioFor picks a problem this customer can have, in their language.
func (w *world) scenarioFor(t *tenant, c *customer, at time.Time) (*scenario, string) {
	d11 := w.isDouble11(at)
	wantCompany := c.company != "" && w.chance(0.7)
	for _, lang := range []string{c.locale, t.locale, zhHans, en} {
		var cands []weighted[*scenario]
		for i := range t.scenarios {
			sc := &t.scenarios[i]
			if _, ok := sc.text[lang]; !ok || sc.company != wantCompany || !c.has(t.orgByKey[sc.org].sub()) {
				continue
			}
			wt := sc.weight
			if d11 && sc.org == "shop" {
				wt *= 3.5
			}
			cands = append(cands, weighted[*scenario]{sc, wt})
		}
		if len(cands) > 0 {
			return pickW(w.r, cands), lang
		}
		if wantCompany {
			wantCompany = false
			return w.scenarioFor(t, &customer{locale: c.locale, subs: c.subs}, at)
		}
	}
	return &t.scenarios[0], t.locale
}

func (w *world) genericTicket(t *tenant, created time.Time, c *customer, sc *scenario, lang string) *tb {
	b := w.newTicket(t, created, c, sc, lang)
	if sc.queue == "safety" {
		w.safetyTicket(b)
		return b
	}
	var frt time.Time
	switch b.ch {
	case kefu.ChannelChat:
		frt = created.Add(w.between(15*time.Second, 3*time.Minute))
	case kefu.ChannelApp:
		frt = created.Add(w.between(90*time.Second, 25*time.Minute))
	case kefu.ChannelPhone:
		frt = created.Add(w.between(2*time.Minute, 8*time.Minute))
	default:
		frt = w.officeTime(created.Add(w.between(15*time.Minute, 5*time.Hour)))
	}
	b.assigned = b.quick
	creator := c.actor()
	var byUser *user
	if b.ch == kefu.ChannelPhone {
		byUser = b.agent // the agent who took the call records it
	}
	b.create(creator, byUser, b.line(b.txt.First))
	agent := b.agent
	if !b.assigned {
		b.assign(frt, agent) // picked from the queue and answered
		b.then()
	}
	if !b.reply(frt, agent, b.line(b.txt.Reply)) {
		return b
	}
	if !b.quick && w.chance(0.5) {
		b.then().setStatus(b.at, agent, kefu.StatusPending, "") // answered, waiting for the customer
	}
	if w.chance(0.25) {
		b.then().note(b.at, agent, b.line(b.txt.Note)) // written with the answer
	}
	if w.chance(0.15) {
		b.reply(b.agentLater(), agent, b.ph.ask)
		b.then().setStatus(b.at, agent, kefu.StatusPending, "")
		if w.chance(0.25) { // the customer never answers
			b.reply(w.officeTime(w.workdaysLater(b.at, 3).Add(-w.between(time.Hour, 6*time.Hour))), agent, b.ph.noReply)
			b.then().setStatus(b.at, agent, kefu.StatusSolved, "")
			if w.chance(0.9) {
				b.autoClose()
			}
			return b
		}
		b.fromCustomer(b.custLater(), b.ph.supply)
	}
	exchange := w.chance(0.5)
	doCommit := sc.commit != "" && w.chance(sc.commitP)
	if exchange {
		b.fromCustomer(b.custLater(), b.line(b.txt.Follow))
	}
	if exchange || doCommit {
		b.reply(b.agentLater(), agent, b.line(b.txt.Reply2))
	}
	ci := -1
	if doCommit {
		if b.due.Before(b.at.Add(30 * time.Minute)) { // the conversation went past the quoted date
			b.due = w.dueFor(sc.commit, b.at)
		}
		ci = b.then().commit(b.at, agent, sc.commit, b.txt.Commit, b.due) // the promise is made in the message
	}
	if d := t.deptByKey[sc.dept]; d != nil && w.chance(sc.deptP) {
		due := w.workdaysLater(b.at, 2)
		fi := b.forward(b.at.Add(w.between(2*time.Minute, 40*time.Minute)), agent, d, b.ph.forward, due)
		if fi >= 0 {
			staff := t.deptStaff(d)
			ans := w.deptTime(b.at.Add(w.between(time.Hour, 30*time.Hour)))
			if ans.After(due) || w.chance(0.15) { // late answer
				ans = w.deptTime(due.Add(w.between(2*time.Hour, 48*time.Hour)))
			}
			if w.chance(0.015) { // never answered: stays on hold, overdue
				b.alive = false
				return b
			}
			if b.note(ans, staff, b.ph.deptDone[d.key]) && ans.After(due) {
				b.pin(due.Add(time.Minute)) // a late answer stays late
			}
			b.then().settle(b.at, staff, fi, kefu.CommitKept, "")
		}
	}
	if sc.action != "" && w.chance(sc.actionP) {
		amount := b.amount
		if sc.action == kefu.ActionRestrictDriver {
			amount = 0
		}
		if b.status != kefu.StatusOnHold && w.chance(0.7) {
			b.then() // filed while answering the customer
		}
		ai, within := b.action(b.at.Add(w.between(time.Minute, 10*time.Minute)), agent, sc.action, amount)
		if ai >= 0 && !within {
			appr := w.approver(t, agent, b.org.sub(), sc.action, amount)
			if appr == nil || w.chance(0.015) { // waiting for approval
				b.alive = false
				return b
			}
			approve := w.chance(0.88)
			note := b.ph.approved
			if !approve {
				note = b.ph.refused
			}
			b.decide(w.officeTime(b.at.Add(w.between(20*time.Minute, 8*time.Hour))), appr, ai, approve, note)
			if !approve {
				b.reply(b.agentLater(), agent, b.ph.refusedMsg)
			}
		}
	}
	if ci >= 0 {
		switch {
		case w.chance(0.02): // never kept: overdue once the date passes
			b.alive = false
			return b
		case w.chance(0.14): // slipped: the customer is told before the date passes
			warn := b.due.Add(-w.between(time.Hour, 3*time.Hour))
			b.reply(warn, agent, b.ph.slip)
			if b.settle(b.due.Add(w.between(4*time.Hour, 72*time.Hour)), agent, ci, kefu.CommitKept, "") {
				b.pin(b.due.Add(time.Hour)) // kept, but late
			}
		default:
			span := b.due.Sub(b.at)
			keep := b.at.Add(time.Duration(float64(span) * (0.25 + 0.6*w.r.Float64())))
			b.settle(keep, agent, ci, kefu.CommitKept, "")
		}
	}
	b.finish(agent, w.chance(0.35))
	return b
}

func (w *world) safetyTicket(b *tb) {
	b.assigned = true
	b.create(b.c.actor(), nil, b.line(b.txt.First))
	agent := b.agent
	if !b.reply(b.at.Add(w.between(12*time.Second, 50*time.Second)), agent, b.line(b.txt.Reply)) {
		return
	}
	b.note(b.at.Add(w.between(40*time.Second, 3*time.Minute)), agent, b.txt.Note[0])
	if w.chance(b.sc.actionP) {
		b.action(b.at.Add(w.between(time.Minute, 5*time.Minute)), agent, kefu.ActionRestrictDriver, 0)
	}
	b.fromCustomer(b.at.Add(w.between(4*time.Minute, 15*time.Minute)), b.line(b.txt.Follow))
	b.reply(b.at.Add(w.between(20*time.Second, 90*time.Second)), agent, b.line(b.txt.Reply2))
	if len(b.txt.Note) > 1 {
		b.note(b.at.Add(w.between(15*time.Minute, 40*time.Minute)), agent, b.txt.Note[1])
	}
	b.reply(b.at.Add(w.between(5*time.Minute, 30*time.Minute)), agent, b.line(b.txt.Solve))
	if b.then().setStatus(b.at, agent, kefu.StatusSolved, "") {
		b.autoClose()
	}
}

// --- stories ---

// recent returns the local time hh:mm on the most recent day whose
// hh:mm lies at least margin before now, daysAgo days further back.
func (w *world) recent(daysAgo, hh, mm int, margin time.Duration) time.Time {
	t := w.day(w.now, hh, mm).AddDate(0, 0, -daysAgo)
	for t.After(w.now.Add(-margin)) {
		t = t.AddDate(0, 0, -1)
	}
	return t
}

func scenarioByKey(t *tenant, key string) *scenario {
	for i := range t.scenarios {
		if t.scenarios[i].key == key {
			return &t.scenarios[i]
		}
	}
	panic("demo: no scenario " + key)
}

func (w *world) storyCustomer(t *tenant, name, greet, locale, tier string, weight float64, subs []string, idents ...ident) *customer {
	c := &customer{name: name, greet: greet, locale: locale, tier: tier, weight: weight, attrs: map[string]string{"source": "CRM import"}}
	for _, s := range subs {
		c.subs = append(c.subs, t.orgByKey[s])
	}
	c.home = c.subs[0]
	w.usedNames[name] = true
	for _, id := range idents {
		switch id.kind {
		case kefu.IdentityPhone:
			w.usedPhones[id.value] = true
		case kefu.IdentityEmail:
			w.usedEmails[id.value] = true
		}
		if id.kind == kefu.IdentityExternal && id.org == nil {
			panic("demo: external identity without org")
		}
		c.idents = append(c.idents, id)
	}
	c.attrs["city"] = "上海"
	t.customers = append(t.customers, c)
	return c
}

// planStories adds the cases the product must get right (PRODUCT.md), at
// fixed places relative to Now, whatever the ticket count.
func (w *world) planStories(t *tenant) {
	o := t.orgByKey
	before := len(t.tickets)
	defer func() { w.storyTickets = len(t.tickets) - before }()
	safety := t.staff(kefu.UserSafety, nil)
	experts := t.staff(kefu.UserAgent, func(u *user) bool { return u.tier == kefu.TierExpert })
	rideAgents := t.staff(kefu.UserAgent, func(u *user) bool { return u.subs[0] == o["ride"] && u.tier != kefu.TierExpert })
	bankAgents := t.staff(kefu.UserAgent, func(u *user) bool { return u.subs[0] == o["bank"] && u.tier != kefu.TierExpert })
	rideLead := t.staff(kefu.UserTeamLead, func(u *user) bool { return u.grants[0].org == o["ride"] })[0]
	bankLead := t.staff(kefu.UserTeamLead, func(u *user) bool { return u.grants[0].org == o["bank"] })[0]
	supervisors := t.staff(kefu.UserSupervisor, nil)

	// Story 8: one person, customer of the insurance and the banking subsidiary.
	meiling := w.storyCustomer(t, "陈美玲", "陈美玲", zhHans, "vip", 1.2, []string{"ins", "bank"},
		ident{kind: kefu.IdentityPhone, value: "+86 139 1688 2046"}, ident{kind: kefu.IdentityEmail, value: "meiling.chen@example.com"},
		ident{kind: kefu.IdentityExternal, value: "INS-C20188888", org: o["ins"]}, ident{kind: kefu.IdentityExternal, value: "CIF6200518888", org: o["bank"]},
		ident{kind: kefu.IdentityApp, value: "u20460001"})
	meiling.attrs["card_level"] = "白金卡"
	meiling.attrs["policies"] = "2"
	w.genericTicket(t, w.recent(21, 10, 12, time.Hour), meiling, scenarioByKey(t, "ins_claim_car"), zhHans)
	w.genericTicket(t, w.recent(4, 15, 47, time.Hour), meiling, scenarioByKey(t, "bank_card_fee"), zhHans)

	// Story 1: "救命" at 14:15, straight to the in-house safety team.
	yutong := w.storyCustomer(t, "王雨桐", "王雨桐", zhHans, "standard", 0, []string{"ride"},
		ident{kind: kefu.IdentityPhone, value: "+86 186 2110 0415"}, ident{kind: kefu.IdentityApp, value: "u20460002"})
	b := w.newTicket(t, w.recent(0, 14, 15, 2*time.Hour).Add(8*time.Second), yutong, scenarioByKey(t, "ride_safety"), zhHans)
	b.ch, b.agent, b.assigned, b.quick = kefu.ChannelChat, safety[0], true, true
	b.vars["agent"] = safety[0].name
	b.create(yutong.actor(), nil, "救命！司机不按导航走，一直往郊区开，车门锁着打不开！")
	b.reply(b.at.Add(22*time.Second), safety[0], b.line(b.txt.Reply))
	b.note(b.at.Add(70*time.Second), safety[0], "14:16 已定位行程并联系司机，司机称导航故障；已拨打110报备，安全组全员关注。")
	b.action(b.at.Add(2*time.Minute), safety[0], kefu.ActionRestrictDriver, 0)
	b.fromCustomer(b.at.Add(7*time.Minute), "车停了，我已经下车了，在加油站。")
	b.reply(b.at.Add(40*time.Second), safety[0], "收到，请您留在加油站便利店内等候，民警约10分钟到达，我们会一直在线陪着您。")
	b.note(b.at.Add(25*time.Minute), safety[0], "民警已到场，乘客安全；司机账号已冻结，移交安全调查组。")
	b.reply(b.at.Add(10*time.Minute), safety[0], "您已安全，事件已移交安全调查组处理，调查结果会通知您。如需帮助请随时联系我们。")
	b.setStatus(b.at.Add(time.Minute), safety[0], kefu.StatusSolved, "")
	b.autoClose()

	// An emergency happening right now, acknowledged and in progress.
	live := w.storyCustomer(t, "黄欣怡", "黄欣怡", zhHans, "standard", 0, []string{"ride"}, ident{kind: kefu.IdentityPhone, value: "+86 137 0021 5599"})
	b = w.newTicket(t, w.now.Add(-7*time.Minute), live, scenarioByKey(t, "ride_safety"), zhHans)
	b.ch, b.agent, b.assigned, b.quick = kefu.ChannelApp, safety[1], true, true
	b.vars["agent"] = safety[1].name
	b.create(live.actor(), nil, "司机好像喝酒了，开得很快还闯红灯，我很害怕，怎么办？")
	b.reply(b.at.Add(35*time.Second), safety[1], b.line(b.txt.Reply))
	b.note(b.at.Add(90*time.Second), safety[1], "已电话联系司机无人接听，正在联系交警；行程实时监控中。")

	// Story 2: a phone left in a car, relayed without exposing numbers.
	siyuan := w.storyCustomer(t, "李思远", "李思远", zhHans, "standard", 0, []string{"ride"},
		ident{kind: kefu.IdentityPhone, value: "+86 135 6012 3321"}, ident{kind: kefu.IdentityApp, value: "u20460003"})
	agent := pick(w.r, rideAgents)
	b = w.newTicket(t, w.recent(2, 18, 42, 3*time.Hour), siyuan, scenarioByKey(t, "ride_lost_item"), zhHans)
	b.ch, b.agent, b.assigned, b.quick = kefu.ChannelApp, agent, true, true
	b.vars["agent"] = agent.name
	b.create(siyuan.actor(), nil, b.render("我刚才下车把手机落在后座了，行程号{trip}，车牌{plate}，司机电话打不通，我是用朋友手机联系的你们。"))
	b.reply(b.at.Add(2*time.Minute), agent, b.line(b.txt.Reply))
	callback := b.at.Add(80 * time.Minute).Truncate(30 * time.Minute)
	b.vars["due"] = w.fmtDue(callback, zhHans)
	ci := b.commit(b.at.Add(30*time.Second), agent, kefu.CommitCallback, "{due}前回电告知手机归还安排", callback)
	b.reply(b.at.Add(20*time.Second), agent, "我会在{due}前给您回电，告知司机送还的时间和地点。")
	b.note(b.at.Add(35*time.Minute), agent, "司机隐私号两次未接通，疑似故意不回应；申请限制司机账号接单直至归还失物。")
	ai, _ := b.action(b.at.Add(time.Minute), agent, kefu.ActionRestrictDriver, 0)
	b.decide(b.at.Add(9*time.Minute), rideLead, ai, true, "同意：限制接单直至归还失物，归还后解除。")
	b.note(b.at.Add(6*time.Minute), agent, "司机账号受限后主动回电，同意明早9点前送还手机，返程费按里程18元。")
	b.reply(b.at.Add(2*time.Minute), agent, "李思远您好，司机已联系上，明早9点前会把手机送到您登记的地址，返程费18元从您账户扣除，无需另付现金。")
	b.settle(b.at.Add(20*time.Second), agent, ci, kefu.CommitKept, "")
	b.setStatus(b.at.Add(10*time.Second), agent, kefu.StatusPending, "")
	b.fromCustomer(w.day(b.at, 8, 51).AddDate(0, 0, 1), "手机收到了，完好无损，谢谢你们！")
	b.reply(b.at.Add(6*time.Minute), agent, b.line(b.txt.Solve))
	b.setStatus(b.at.Add(20*time.Second), agent, kefu.StatusSolved, "")

	// Story 3: a refund promise that slipped: the customer was told before
	// calling again; the promise is now overdue and finance has it.
	zhaomin := w.storyCustomer(t, "赵敏", "赵敏", zhHans, "vip", 0, []string{"bank"},
		ident{kind: kefu.IdentityPhone, value: "+86 158 0199 7730"}, ident{kind: kefu.IdentityEmail, value: "zhaomin88@example.net"})
	agent = pick(w.r, bankAgents)
	b = w.newTicket(t, w.recent(9, 11, 5, time.Hour), zhaomin, scenarioByKey(t, "shop_refund"), zhHans)
	b.ch, b.agent, b.quick = kefu.ChannelEmail, agent, false
	b.queue = t.queueBy["bank_email"]
	b.vars["agent"] = agent.name
	b.amount = 186900
	b.vars["amount"] = fmtAmount(b.amount)
	b.create(zhaomin.actor(), nil, b.line(b.txt.First))
	b.assign(b.at.Add(40*time.Minute), agent)
	b.reply(b.at.Add(5*time.Minute), agent, b.line(b.txt.Reply))
	due := w.workdaysLater(b.at, 3)
	b.vars["due"] = w.fmtDue(due, zhHans)
	b.commit(b.at.Add(time.Minute), agent, kefu.CommitRefund, b.txt.Commit, due) // never kept: overdue
	b.reply(b.at.Add(30*time.Second), agent, b.line(b.txt.Reply2))
	ai, within := b.action(b.at.Add(2*time.Minute), agent, kefu.ActionRefund, b.amount)
	if !within {
		b.decide(b.at.Add(3*time.Hour), bankLead, ai, true, "同意退款。")
	}
	b.reply(due.Add(-2*time.Hour), agent, b.ph.slip)
	b.forward(b.at.Add(10*time.Minute), agent, t.deptByKey["finance"], "退款承诺已逾期，客户为VIP，请财务优先处理并回复到账时间。", w.workdaysLater(due, 1))
	b.note(b.at.Add(5*time.Minute), agent, "已电话告知客户退款延迟原因（财务审核积压），客户表示理解但要求尽快。")

	// Story 4: the third complaint about the same order: linked as repeats,
	// raised to urgent, with the problem-resolution team.
	zhangwei := w.storyCustomer(t, "张伟", "张伟", zhHans, "standard", 0, []string{"bank"},
		ident{kind: kefu.IdentityPhone, value: "+86 139 0177 4521"}, ident{kind: kefu.IdentityApp, value: "u20460004"})
	order := fmt.Sprintf("YX%s%06d", w.recent(16, 12, 0, time.Hour).In(w.loc).Format("0102"), 731205)
	agent = pick(w.r, bankAgents)
	b = w.newTicket(t, w.recent(13, 10, 20, time.Hour), zhangwei, scenarioByKey(t, "shop_refund"), zhHans)
	b.ch, b.agent, b.assigned, b.quick = kefu.ChannelChat, agent, true, true
	b.vars["agent"], b.vars["order"] = agent.name, order
	b.amount = 299900
	b.vars["amount"] = fmtAmount(b.amount)
	first := b
	b.create(zhangwei.actor(), nil, b.render("你好，订单{order}的扫地机器人退货已经签收了，退款{amount}元还没到账。"))
	b.reply(b.at.Add(40*time.Second), agent, b.line(b.txt.Reply))
	due = w.workdaysLater(b.at, 3)
	b.vars["due"] = w.fmtDue(due, zhHans)
	b.commit(b.at.Add(time.Minute), agent, kefu.CommitRefund, b.txt.Commit, due)
	b.reply(b.at.Add(20*time.Second), agent, b.line(b.txt.Reply2))
	b.fromCustomer(b.at.Add(time.Minute), "好的，那我等着。")
	b.reply(b.at.Add(time.Minute), agent, "退款单已提交财务，本次会话先为您结束，到账后会短信通知您。")
	b.setStatus(b.at.Add(20*time.Second), agent, kefu.StatusSolved, "退款单已提交财务，按流程结案")
	b.autoClose()

	agent2 := pick(w.r, bankAgents)
	b = w.newTicket(t, w.recent(7, 15, 5, time.Hour), zhangwei, scenarioByKey(t, "shop_refund"), zhHans)
	b.ch, b.agent, b.assigned, b.quick = kefu.ChannelPhone, agent2, true, true
	b.queue = t.queueBy["bank_phone"]
	b.vars = maps.Clone(first.vars)
	b.vars["agent"] = agent2.name
	second := b
	b.create(store.Actor{}, agent2, "（来电）上次说三个工作日退款，订单{order}的{amount}元到现在还是没到账！")
	b.reply(b.at.Add(3*time.Minute), agent2, "张伟您好，非常抱歉，已经帮您催财务了，财务会在两个工作日内处理。")
	fi := b.forward(b.at.Add(2*time.Minute), agent2, t.deptByKey["finance"], "客户第二次来电催退款，请尽快处理。", w.workdaysLater(b.at, 2))
	b.settle(b.at.Add(22*time.Hour), agent2, fi, kefu.CommitReleased, "财务口头确认已处理")
	b.setStatus(b.at.Add(time.Minute), agent2, kefu.StatusSolved, "")
	b.autoClose()

	expert := pick(w.r, experts)
	b = w.newTicket(t, w.recent(1, 19, 40, time.Hour), zhangwei, scenarioByKey(t, "shop_refund"), zhHans)
	b.ch, b.agent, b.assigned, b.quick = kefu.ChannelApp, expert, true, true
	b.queue, b.prio = t.queueBy["problem"], kefu.PriorityUrgent
	b.tags = []string{"退款", "重复投诉"}
	b.vars = maps.Clone(first.vars)
	b.vars["agent"] = expert.name
	b.create(zhangwei.actor(), nil, "这已经是我第三次联系你们了！订单{order}的退款{amount}元到现在都没到，每次都说在处理，你们到底有没有人管？")
	b.link(b.at.Add(20*time.Second), expert, first.t, kefu.LinkRepeat)
	b.link(b.at.Add(time.Second), expert, second.t, kefu.LinkRepeat)
	b.note(b.at.Add(30*time.Second), expert, "第三次联系同一订单退款（见关联工单），已升级问题解决组；前两次工单均在退款未完成时结案，需复盘。")
	b.reply(b.at.Add(time.Minute), expert, "张伟您好，我是问题解决组的{agent}。非常抱歉让您三次联系我们，您的问题由我负责到底：我已申请直接为您退款，明天中午前一定给您结果。")
	due = w.day(w.workdaysLater(b.at, 1), 12, 0)
	b.commit(b.at.Add(30*time.Second), expert, kefu.CommitExpedite, "加急：第三次来电，退款"+b.vars["amount"]+"元，次日12:00前给客户结果", due)
	b.action(b.at.Add(2*time.Minute), expert, kefu.ActionRefund, 299900)
	b.note(b.at.Add(time.Minute), expert, "退款2999元超出坐席权限，已提交主管审批，请"+supervisors[0].name+"优先处理。")

	// Story 5: logistics needs the local branch: forwarded with a deadline.
	xiaodong := w.storyCustomer(t, "吴晓东", "吴晓东", zhHans, "standard", 0, []string{"bank"},
		ident{kind: kefu.IdentityPhone, value: "+86 188 1760 0931"}, ident{kind: kefu.IdentityChat, value: "v_5f3a9c"})
	agent = pick(w.r, bankAgents)
	b = w.newTicket(t, w.recent(1, 10, 30, time.Hour), xiaodong, scenarioByKey(t, "shop_logistics"), zhHans)
	b.ch, b.agent, b.assigned, b.quick = kefu.ChannelChat, agent, true, true
	b.queue = t.queueBy["bank_chat"]
	b.vars["agent"], b.vars["city"] = agent.name, "武汉"
	b.create(xiaodong.actor(), nil, b.line(b.txt.First))
	b.reply(b.at.Add(time.Minute), agent, b.line(b.txt.Reply))
	due = w.workdaysLater(b.at, 2)
	b.vars["due"] = w.fmtDue(due, zhHans)
	b.forward(b.at.Add(3*time.Minute), agent, t.deptByKey["logistics"], "武汉转运中心滞留3天，请联系当地网点核实并回复预计派送时间。", due)
	b.reply(b.at.Add(time.Minute), agent, "已将您的问题转给物流部，由他们联系武汉当地网点，{due}前会给您答复，您也可以在工单中随时查看进度。")
	b.note(w.deptTime(b.at.Add(20*time.Hour)), t.deptStaff(t.deptByKey["logistics"]), "【物流部】已联系武汉网点，包裹已找到，今日重新派送。")

	// Two customers who turned out to be the same person, merged.
	liu1 := w.storyCustomer(t, "刘洋", "刘洋", zhHans, "standard", 0, []string{"bank"}, ident{kind: kefu.IdentityPhone, value: "+86 136 6120 8817"})
	liu2 := w.storyCustomer(t, "刘洋", "刘洋", zhHans, "standard", 0, []string{"bank"}, ident{kind: kefu.IdentityEmail, value: "liuyang.sh@example.org"})
	w.genericTicket(t, w.recent(16, 9, 45, time.Hour), liu1, scenarioByKey(t, "bank_login"), zhHans)
	w.genericTicket(t, w.recent(12, 14, 10, time.Hour), liu2, scenarioByKey(t, "bank_transfer"), zhHans)
	w.merge(t, w.recent(11, 10, 0, time.Hour), bankLead, liu1, liu2)
	kevin1 := w.storyCustomer(t, "Kevin Wu", "Kevin", en, "vip", 0, []string{"ride"}, ident{kind: kefu.IdentityChat, value: "v_9e21b7"})
	kevin2 := w.storyCustomer(t, "Kevin Wu", "Kevin", en, "vip", 0, []string{"ride"},
		ident{kind: kefu.IdentityApp, value: "u20460005"}, ident{kind: kefu.IdentityEmail, value: "kevin.wu@example.com"})
	w.genericTicket(t, w.recent(10, 20, 15, time.Hour), kevin1, scenarioByKey(t, "ride_overcharge"), en)
	w.genericTicket(t, w.recent(7, 9, 30, time.Hour), kevin2, scenarioByKey(t, "ride_lost_item"), en)
	w.merge(t, w.recent(6, 11, 0, time.Hour), supervisors[0], kevin2, kevin1)
	w.genericTicket(t, w.recent(3, 21, 5, time.Hour), kevin1, scenarioByKey(t, "ride_overcharge"), en)
}

func (w *world) merge(t *tenant, at time.Time, by *user, survivor, merged *customer) {
	if at.After(w.now) {
		return
	}
	w.add(&op{at: at, barrier: true, what: "merge customers", run: func(ctx context.Context) error {
		_, err := w.s.MergeCustomers(ctx, store.Whole(t.id), by.actor(), survivor.id, merged.id)
		if err == nil {
			t.n.merges.Add(1)
		}
		return err
	}})
}
