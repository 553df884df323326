// Package relay holds the rules of relaying messages between a ticket's
// customer and a third party (a driver, a courier, a merchant): the codes
// a party quotes when replying, the masking of phone numbers, e-mail
// addresses, messenger ids and street addresses before a message crosses
// to the other side, and the texts both sides get, in zh-Hans, zh-Hant
// and en. It depends on nothing else in the project; the store records the
// relay and the notifier sends its texts.
package relay

import (
	"crypto/rand"
	"fmt"
	"github.com/kefu-project/kefu/internal/i18n"
	"regexp"
	"strings"
	"time"
	"unicode"
)

// Party kinds.
const (
	KindDriver   = "driver"
	KindCourier  = "courier"
	KindMerchant = "merchant"
	KindOther    = "other"
)

// ValidKind reports whether k names a party kind.
func ValidKind(k string) bool {
	switch k {
	case KindDriver, KindCourier, KindMerchant, KindOther:
		return true
	}
	return false
}

// Who wrote a relayed message.
const (
	OriginAgent    = "agent"
	OriginCustomer = "customer"
	OriginParty    = "party"
)

// Outcomes a relay closes with. Resolved keeps its commitment; the others
// release it with a reason.
const (
	OutcomeResolved    = "resolved"
	OutcomeUnresolved  = "unresolved"
	OutcomeUnreachable = "unreachable"
	OutcomeWithdrawn   = "withdrawn"
)

// ValidOutcome reports whether o names an outcome.
func ValidOutcome(o string) bool {
	switch o {
	case OutcomeResolved, OutcomeUnresolved, OutcomeUnreachable, OutcomeWithdrawn:
		return true
	}
	return false
}

// MaxBody is the longest relayed message, in bytes.
const MaxBody = 1000

// codeAlphabet has no characters that read alike (0/O, 1/I/L), so a code
// survives being read out or typed on a phone.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// CodeLen is the length of a relay code: 31⁶ ≈ 887 million per tenant.
const CodeLen = 6

// NewCode makes a random relay code.
func NewCode() string {
	var b [CodeLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	for i := range b {
		b[i] = codeAlphabet[int(b[i])%len(codeAlphabet)]
	}
	return string(b[:])
}

// NormalizeCode reads a code as a person may write it: any case, with a
// leading # or spaces. It returns "" when s cannot be a code.
func NormalizeCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(s), "#＃")))
	if len(s) != CodeLen {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
	}
	return s
}

// LeadingCode takes a code off the start of a reply ("K7M2QX 找到了",
// "#k7m2qx：找到了") and returns it with the rest; code is "" when the
// reply does not start with one.
func LeadingCode(body string) (code, rest string) {
	t := strings.TrimLeft(strings.TrimSpace(body), "#＃")
	rs := []rune(t)
	if len(rs) < CodeLen {
		return "", body
	}
	if c := NormalizeCode(string(rs[:CodeLen])); c != "" {
		tail := rs[CodeLen:]
		if len(tail) == 0 || !isCodeRune(tail[0]) {
			return c, strings.TrimLeftFunc(string(tail), func(r rune) bool {
				return unicode.IsSpace(r) || unicode.IsPunct(r)
			})
		}
	}
	return "", body
}

func isCodeRune(r rune) bool { return r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) }

// --- phones ---

// NormalizePhone keeps a phone number's digits (and a leading +) and
// checks there are 5 to 15 of them.
func NormalizePhone(p string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(p) {
		r = halfWidth(r)
		switch {
		case r >= '0' && r <= '9', r == '+' && b.Len() == 0:
			b.WriteRune(r)
		case r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return "", false
		}
	}
	n := len(strings.TrimPrefix(b.String(), "+"))
	return b.String(), n >= 5 && n <= 15
}

// MaskPhone shows a stored number the way kefu shows it to anyone:
// 138****5678 (the first three and last four digits of a long number,
// only the last two of a short one).
func MaskPhone(p string) string {
	plus := strings.HasPrefix(p, "+")
	d := strings.TrimPrefix(p, "+")
	if plus && strings.HasPrefix(d, "86") && len(d) == 13 {
		d, plus = d[2:], false // a Chinese mobile number reads as one
	}
	var out string
	switch {
	case d == "":
		return ""
	case len(d) >= 9:
		out = d[:3] + "****" + d[len(d)-4:]
	case len(d) > 2:
		out = "****" + d[len(d)-2:]
	default:
		out = "****"
	}
	if plus {
		out = "+" + out
	}
	return out
}

// SamePhone reports whether two numbers are the same line: their digits
// agree on the last eleven (or all of the shorter, when at least seven),
// so "+86 138 1234 5678" is "13812345678".
func SamePhone(a, b string) bool {
	da, db := digits(a), digits(b)
	n := min(len(da), len(db), 11)
	if n < 7 {
		return false
	}
	return da[len(da)-n:] == db[len(db)-n:]
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		r = halfWidth(r)
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func halfWidth(r rune) rune {
	if r >= '０' && r <= '９' {
		return r - '０' + '0'
	}
	if r == '＋' {
		return '+'
	}
	return r
}

// --- masking ---

var (
	// seven or more digits, possibly split by spaces, dashes, dots or
	// brackets, possibly with a + in front: phone numbers (mobile and
	// landline), but also ID and card numbers, which must not cross either.
	digitRun = regexp.MustCompile(`\+?[(（]?[0-9０-９](?:[0-9０-９]|(?:[ \-.]|[)）] ?)[0-9０-９]){6,}`)
	email    = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)
	// messenger ids: 微信 abc_123, WeChat: abc123, QQ 12345
	messenger = regexp.MustCompile(`(?i)(微信号?|微信號|wechat|weixin|vx|wx|qq|line|telegram|whatsapp)(\s*(?:id|ID|号|號)?\s*[:：]?\s*)([A-Za-z0-9_\-]{5,})`)
	// the house-number part of a Chinese address: 88号, 5号楼, 3单元, 1203室
	zhUnit = regexp.MustCompile(`[0-9０-９一二三四五六七八九十百零〇A-Za-z\-]+\s*(?:号楼|號樓|号院|號院|号|號|栋|棟|幢|座|单元|單元|楼|樓|层|層|室|弄|巷)`)
	// an English street address: 221B Baker Street, 10 Main St., Apt 5
	enStreet = regexp.MustCompile(`(?i)\b\d+[A-Za-z]?\s+(?:[A-Za-z]+\s+){0,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl)\b\.?`)
	dateLike = regexp.MustCompile(`^\d{4}[\-./]\d{1,2}[\-./]\d{1,2}`)
	// a unit that tells a home even without the street before it
	zhHome = regexp.MustCompile(`(?:栋|棟|幢|单元|單元|楼|樓|室)$`)
	enUnit = regexp.MustCompile(`(?i)\b(?:apt|apartment|unit|flat|room|suite)\.?\s*#?\s*\d+[A-Za-z]?\b`)
)

// place markers before a house number: 朝阳区, 建国路, 幸福小区.
var zhPlace = []string{"省", "市", "区", "區", "县", "縣", "镇", "鎮", "乡", "鄉", "村", "路", "街", "道", "巷", "弄", "里", "胡同", "小区", "小區", "花园", "花園", "大厦", "大廈", "广场", "廣場", "公寓", "园", "園", "苑", "城"}

// words that end a place name when reading backwards: 我家在|朝阳区…
const zhStop = "在住到是址于於从從去往送寄给給和与與或的了我你他她您"

// Mask replaces the contact details in a relayed message (phone and other
// long numbers, e-mail addresses, messenger ids, street addresses) with a
// placeholder in locale's language. It reports whether it changed
// anything. It is a heuristic: it errs towards masking (an order number
// of seven digits is masked too), and cannot see a number spelled out in
// words.
func Mask(text, locale string) (string, bool) {
	w := words(locale)
	out := text
	out = messenger.ReplaceAllString(out, "${1}${2}"+w.id)
	out = email.ReplaceAllString(out, w.email)
	out = maskAddresses(out, w.address)
	out = digitRun.ReplaceAllStringFunc(out, func(m string) string {
		if d := dateLike.FindString(m); d != "" && len(digits(m[len(d):])) < 7 {
			return m // 2026-11-12 is a date
		}
		return w.phone
	})
	return out, out != text
}

func maskAddresses(text, placeholder string) string {
	type span struct{ from, to int }
	var spans []span
	for _, m := range enStreet.FindAllStringIndex(text, -1) {
		spans = append(spans, span{m[0], m[1]})
	}
	for _, m := range enUnit.FindAllStringIndex(text, -1) {
		spans = append(spans, span{m[0], m[1]})
	}
	for _, m := range zhUnit.FindAllStringIndex(text, -1) {
		from := placeStart(text, m[0])
		if from == m[0] && (!zhHome.MatchString(text[m[0]:m[1]]) || !strings.ContainsAny(text[m[0]:m[1]], "0123456789０１２３４５６７８９")) {
			continue // 3号 or 2层 alone is a date or a floor, not an address
		}
		spans = append(spans, span{from, m[1]})
	}
	if len(spans) == 0 {
		return text
	}
	// merge overlapping or touching spans, then replace from the end
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].from < spans[j-1].from; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	merged := []span{spans[0]}
	for _, s := range spans[1:] {
		last := &merged[len(merged)-1]
		if s.from <= last.to {
			last.to = max(last.to, s.to)
			continue
		}
		merged = append(merged, s)
	}
	var b strings.Builder
	prev := 0
	for _, s := range merged {
		b.WriteString(text[prev:s.from])
		b.WriteString(placeholder)
		prev = s.to
	}
	b.WriteString(text[prev:])
	return b.String()
}

// placeStart reads backwards from a house number over the place names
// before it (建国路, 朝阳区…) and returns where the address starts.
func placeStart(text string, at int) int {
	before := []rune(text[:at])
	// the run of letters and digits just before the number, at most 24
	i := len(before)
	for i > 0 && len(before)-i < 24 && (unicode.Is(unicode.Han, before[i-1]) || unicode.IsDigit(before[i-1]) || unicode.IsLetter(before[i-1])) {
		i--
	}
	run := before[i:]
	// the earliest place marker in that run
	first := -1
	for k := range run {
		for _, p := range zhPlace {
			if strings.HasPrefix(string(run[k:]), p) {
				first = k
				break
			}
		}
		if first >= 0 {
			break
		}
	}
	if first < 0 {
		return at
	}
	// and up to four characters of the place's name before it
	start := first
	for n := 0; start > 0 && n < 4 && !strings.ContainsRune(zhStop, run[start-1]); n++ {
		start--
	}
	return len(string(before[:i])) + len(string(run[:start]))
}

// --- texts ---

type wording struct {
	phone, email, id, address string
	kinds                     map[string]string
}

var wordings = map[string]wording{
	"zh-Hans": {phone: "[号码已隐藏]", email: "[邮箱已隐藏]", id: "[账号已隐藏]", address: "[地址已隐藏]",
		kinds: map[string]string{KindDriver: "司机", KindCourier: "快递员", KindMerchant: "商家", KindOther: "对方"}},
	"zh-Hant": {phone: "[號碼已隱藏]", email: "[郵箱已隱藏]", id: "[帳號已隱藏]", address: "[地址已隱藏]",
		kinds: map[string]string{KindDriver: "司機", KindCourier: "快遞員", KindMerchant: "商家", KindOther: "對方"}},
	"en": {phone: "[number hidden]", email: "[e-mail hidden]", id: "[account hidden]", address: "[address hidden]",
		kinds: map[string]string{KindDriver: "driver", KindCourier: "courier", KindMerchant: "merchant", KindOther: "other party"}},
}

// Lang maps a tenant's or a person's locale tag to zh-Hans, zh-Hant or en;
// anything else is zh-Hans, kefu's first language.
func Lang(tag string) string { return string(i18n.Or(tag, i18n.ZhHans)) }

func words(locale string) wording { return wordings[Lang(locale)] }

// KindName is a party kind as a customer reads it: 司机, 快遞員, courier.
func KindName(locale, kind string) string {
	w := words(locale)
	if n, ok := w.kinds[kind]; ok {
		return n
	}
	return w.kinds[KindOther]
}

// SMS is the text a party gets: who it is from, the message, and how to
// reply (the code first). origin says whether support writes or passes on
// the customer's words.
func SMS(locale, origin, code, body string) string {
	switch Lang(locale) {
	case "zh-Hant":
		if origin == OriginCustomer {
			return fmt.Sprintf("【客服轉達客戶留言 %s】%s 回覆請以 %s 開頭。", code, body, code)
		}
		return fmt.Sprintf("【客服訊息 %s】%s 回覆請以 %s 開頭。", code, body, code)
	case "en":
		if origin == OriginCustomer {
			return fmt.Sprintf("[Support, passing on a customer's message, ref %s] %s Reply starting with %s.", code, body, code)
		}
		return fmt.Sprintf("[Support message, ref %s] %s Reply starting with %s.", code, body, code)
	}
	if origin == OriginCustomer {
		return fmt.Sprintf("【客服转达客户留言 %s】%s 回复请以 %s 开头。", code, body, code)
	}
	return fmt.Sprintf("【客服消息 %s】%s 回复请以 %s 开头。", code, body, code)
}

// Opened tells the customer that support has contacted the party for them,
// that their own number and address stay hidden, and when support will
// come back to them.
func Opened(locale, kind string, due time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	when := due.In(loc).Format("2006-01-02 15:04")
	who := KindName(locale, kind)
	switch Lang(locale) {
	case "zh-Hant":
		return fmt.Sprintf("我們已代您聯繫%s，對方的回覆會轉告您；您的電話和地址不會告訴對方。我們會在 %s 前跟進此事，直到解決。", who, when)
	case "en":
		return fmt.Sprintf("We have contacted the %s for you and will pass on their answer; your number and address are not shared with them. We will follow this up by %s, until it is resolved.", who, when)
	}
	return fmt.Sprintf("我们已代您联系%s，对方的回复会转告您；您的电话和地址不会告诉对方。我们会在 %s 前跟进此事，直到解决。", who, when)
}

// Reply is how the customer sees a party's answer.
func Reply(locale, kind, body string) string {
	who := KindName(locale, kind)
	switch Lang(locale) {
	case "zh-Hant":
		return who + "回覆：" + body
	case "en":
		return "The " + who + " replied: " + body
	}
	return who + "回复：" + body
}

// Note is how an agent's or a customer's message to the party is shown on
// the ticket (an internal note for the agent's, so the customer does not
// see support's words to the driver as addressed to them).
func Note(locale, kind, code, body string) string {
	who := KindName(locale, kind)
	switch Lang(locale) {
	case "zh-Hant":
		return fmt.Sprintf("已轉達給%s（%s）：%s", who, code, body)
	case "en":
		return fmt.Sprintf("Relayed to the %s (%s): %s", who, code, body)
	}
	return fmt.Sprintf("已转达给%s（%s）：%s", who, code, body)
}

// Late is the note for a party's reply that came after the relay closed:
// kept on the ticket for the agents, not passed on.
func Late(locale, kind, code, body string) string {
	who := KindName(locale, kind)
	switch Lang(locale) {
	case "zh-Hant":
		return fmt.Sprintf("%s在轉達結束後回覆（%s，未轉告客戶）：%s", who, code, body)
	case "en":
		return fmt.Sprintf("The %s replied after the relay was closed (%s, not passed on): %s", who, code, body)
	}
	return fmt.Sprintf("%s在转达结束后回复（%s，未转告客户）：%s", who, code, body)
}

// Promise is the follow-up commitment's description.
func Promise(locale, kind, code string) string {
	who := KindName(locale, kind)
	switch Lang(locale) {
	case "zh-Hant":
		return fmt.Sprintf("經%s轉達（%s）跟進到解決", who, code)
	case "en":
		return fmt.Sprintf("follow up the relay with the %s (%s) until it is resolved", who, code)
	}
	return fmt.Sprintf("经%s转达（%s）跟进到解决", who, code)
}
