package notify

import (
	"fmt"
	"github.com/kefu-project/kefu/internal/i18n"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Facts are what an alert's text is made from. Zero fields are left out of
// the text.
type Facts struct {
	TicketNumber int64  `json:"ticket_number,omitempty"`
	Subject      string `json:"subject,omitempty"`
	// EmergencyKind is the screening's kind: help_cry, kidnapping,
	// violence, weapon, sexual_assault, accident_injury, fire, gas,
	// self_harm, child_locked, medical, danger_situation. Others are shown
	// as given.
	EmergencyKind string `json:"emergency_kind,omitempty"`
	// Promise is what was promised to the customer ("回电说明退款进度").
	Promise string `json:"promise,omitempty"`
	// Reason is why the ticket was expedited.
	Reason string `json:"reason,omitempty"`
	// Due is the commitment's deadline, shown in TimeZone.
	Due time.Time `json:"due,omitzero"`
	// Now, when set, lets a reminder say how long is left.
	Now time.Time `json:"now,omitzero"`
	// TimeZone is the tenant's IANA zone ("Asia/Shanghai"); empty or
	// unknown means UTC. The UTC offset is always shown.
	TimeZone string `json:"time_zone,omitempty"`
	// Owner is the name of whoever holds the ticket or the commitment.
	Owner string `json:"owner,omitempty"`
	// Rung is the step of the escalation ladder reached: agent, team_lead,
	// supervisor, manager, director, safety (or safety_team), on_call;
	// others as given.
	Rung           string `json:"rung,omitempty"`
	MinutesOverdue int    `json:"minutes_overdue,omitempty"`
	Link           string `json:"link,omitempty"`
}

// Languages Compose writes.
const (
	LocaleZhHans = "zh-Hans"
	LocaleZhHant = "zh-Hant"
	LocaleEn     = "en"
)

// NormalizeLocale maps a language tag (zh-CN, zh-TW, zh-Hant-HK, en-GB…)
// to one of the three languages; anything else is zh-Hans, kefu's first
// language.
func NormalizeLocale(tag string) string { return string(i18n.Or(tag, i18n.ZhHans)) }

// Compose writes an alert's title and body in locale (see NormalizeLocale)
// for kind (one of Kinds; another kind gets a generic text). The title is
// one line and short enough for an SMS; the body is lines of facts.
func Compose(kind, locale string, f Facts) (title, body string) {
	lang := NormalizeLocale(locale)
	v := newView(lang, f)
	p := phrasebook[lang]
	title = p.title(kind, v)
	lead := p.lead(kind, v)

	var b strings.Builder
	b.WriteString(lead)
	b.WriteString("\n")
	line := func(label, value string) {
		if value != "" {
			b.WriteString("\n")
			b.WriteString(label)
			b.WriteString(value)
		}
	}
	line(p.lTicket, v.number)
	line(p.lSubject, v.subject)
	if strings.HasPrefix(kind, "emergency.") {
		line(p.lEmergency, v.emergency)
	}
	line(p.lPromise, oneLine(f.Promise, 200))
	line(p.lReason, oneLine(f.Reason, 200))
	line(p.lOwner, v.owner)
	line(p.lDue, v.dueLong)
	line(p.lRung, v.rung)
	line(p.lLink, f.Link)
	return title, b.String()
}

// view is the facts formatted for one language.
type view struct {
	number    string // "#123" or ""
	ticket    string // "工单 #123", "ticket #123"
	subject   string
	emergency string
	owner     string
	rung      string
	dueShort  string
	dueLong   string
	left      string // time left before Due, "" when unknown or past
	overdue   string
}

func newView(lang string, f Facts) view {
	p := phrasebook[lang]
	v := view{
		subject: oneLine(f.Subject, 80),
		owner:   oneLine(f.Owner, 40),
	}
	if f.TicketNumber != 0 {
		v.number = "#" + strconv.FormatInt(f.TicketNumber, 10)
		v.ticket = p.ticket + " " + v.number
	} else {
		v.ticket = p.ticket
	}
	if f.EmergencyKind != "" {
		v.emergency = lookup(p.emergencies, f.EmergencyKind)
	} else {
		v.emergency = p.emergencies[""]
	}
	if f.Rung != "" {
		v.rung = lookup(p.rungs, f.Rung)
	}
	if !f.Due.IsZero() {
		loc := time.UTC
		if f.TimeZone != "" {
			if l, err := time.LoadLocation(f.TimeZone); err == nil {
				loc = l
			}
		}
		d := f.Due.In(loc)
		v.dueShort, v.dueLong = p.date(d)
		if !f.Now.IsZero() && f.Due.After(f.Now) {
			mins := int((f.Due.Sub(f.Now) + time.Minute - 1) / time.Minute)
			v.left = p.span(mins)
		}
	}
	if f.MinutesOverdue > 0 {
		v.overdue = p.span(f.MinutesOverdue)
	}
	return v
}

// lookup localizes a code from table; unknown codes are shown with
// underscores as spaces.
func lookup(table map[string]string, code string) string {
	if s, ok := table[strings.ToLower(code)]; ok {
		return s
	}
	return oneLine(strings.ReplaceAll(code, "_", " "), 40)
}

// oneLine makes customer or user text safe for a one-line field: control
// characters and line breaks become spaces, runs of spaces one, and the
// text is cut to max runes with an ellipsis.
func oneLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	n, space := 0, false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = true
			continue
		}
		if space && n > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		if n >= max {
			return strings.TrimSpace(b.String()) + "…"
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func offset(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "UTC"
	}
	return "UTC" + t.Format("-07:00")
}

// phrases are one language's words.
type phrases struct {
	ticket      string
	emergencies map[string]string
	rungs       map[string]string
	date        func(t time.Time) (short, long string)
	span        func(minutes int) string
	title, lead func(kind string, v view) string

	lTicket, lSubject, lEmergency, lPromise, lReason, lOwner, lDue, lRung, lLink string
}

var weekdaysZh = [...]string{"日", "一", "二", "三", "四", "五", "六"}

func dateZh(t time.Time) (string, string) {
	short := fmt.Sprintf("%d月%d日 %s", t.Month(), t.Day(), t.Format("15:04"))
	long := fmt.Sprintf("%d年%d月%d日（星期%s）%s（%s）", t.Year(), t.Month(), t.Day(), weekdaysZh[t.Weekday()], t.Format("15:04"), offset(t))
	return short, long
}

func spanZh(minute, hour string) func(int) string {
	return func(m int) string {
		switch {
		case m < 60:
			return fmt.Sprintf("%d %s", m, minute)
		case m < 24*60:
			if m%60 == 0 {
				return fmt.Sprintf("%d %s", m/60, hour)
			}
			return fmt.Sprintf("%d %s %d %s", m/60, hour, m%60, minute)
		}
		d, h := m/(24*60), m%(24*60)/60
		if h == 0 {
			return fmt.Sprintf("%d 天", d)
		}
		return fmt.Sprintf("%d 天 %d %s", d, h, hour)
	}
}

func spanEn(m int) string {
	switch {
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m < 24*60:
		if m%60 == 0 {
			return fmt.Sprintf("%d h", m/60)
		}
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	}
	d, h := m/(24*60), m%(24*60)/60
	if h == 0 {
		return fmt.Sprintf("%d d", d)
	}
	return fmt.Sprintf("%d d %d h", d, h)
}

// zh builds the Chinese phrasebook; the two scripts differ only in words,
// not in sentence shape. w maps a simplified word to the script's word.
func zh(w func(string) string, emergencies, rungs map[string]string, lTicket, lSubject, lEmergency, lPromise, lReason, lOwner, lDue, lRung, lLink string) phrases {
	p := phrases{
		ticket: w("工单"), emergencies: emergencies, rungs: rungs,
		date: dateZh, span: spanZh(w("分钟"), w("小时")),
		lTicket: lTicket, lSubject: lSubject, lEmergency: lEmergency, lPromise: lPromise,
		lReason: lReason, lOwner: lOwner, lDue: lDue, lRung: lRung, lLink: lLink,
	}
	p.title = func(kind string, v view) string {
		switch kind {
		case KindEmergencyRaised:
			return fmt.Sprintf(w("紧急事件：%s（%s）需要立即处理"), v.ticket, v.emergency)
		case KindEmergencyEscalated:
			return fmt.Sprintf(w("紧急事件：%s 尚未有人确认")+"%s", v.ticket, zhParen(w("已升级至")+v.rung, v.rung != ""))
		case KindCommitmentReminder:
			if v.dueShort == "" {
				return fmt.Sprintf(w("承诺即将到期：%s"), v.ticket)
			}
			return fmt.Sprintf(w("承诺即将到期：%s 须于 %s 前兑现"), v.ticket, v.dueShort)
		case KindCommitmentMissed:
			if v.overdue == "" {
				return fmt.Sprintf(w("承诺已逾期：%s"), v.ticket)
			}
			return fmt.Sprintf(w("承诺已逾期：%s 已超时 %s"), v.ticket, v.overdue)
		case KindCommitmentEscalated:
			s := fmt.Sprintf(w("承诺逾期升级：%s"), v.ticket)
			if v.overdue != "" {
				s += fmt.Sprintf(w(" 已逾期 %s"), v.overdue)
			}
			return s + zhParen(w("已升级至")+v.rung, v.rung != "")
		case KindExpediteAssigned:
			s := fmt.Sprintf(w("加急：%s"), v.ticket)
			if v.owner != "" {
				s += fmt.Sprintf(w(" 由%s负责"), v.owner)
			}
			if v.dueShort != "" {
				if v.owner != "" {
					s += "，"
				}
				s += fmt.Sprintf(w("须于 %s 前完成"), v.dueShort)
			}
			return s
		}
		return fmt.Sprintf(w("客服通知：%s"), v.ticket)
	}
	p.lead = func(kind string, v view) string {
		switch kind {
		case KindEmergencyRaised:
			return fmt.Sprintf(w("%s 被识别为紧急事件（%s）。请立即打开工单确认，并按安全预案处理。"), v.ticket, v.emergency)
		case KindEmergencyEscalated:
			s := fmt.Sprintf(w("紧急%s 在规定时间内无人确认"), v.ticket)
			if v.rung != "" {
				s += w("，已升级至") + v.rung
			}
			return s + w("。请立即打开工单确认，并按安全预案处理。")
		case KindCommitmentReminder:
			s := w("对客户的承诺即将到期")
			if v.left != "" {
				s += fmt.Sprintf(w("（还剩 %s）"), v.left)
			}
			return s + w("。请按时兑现；如无法兑现，请提前如实告知客户。")
		case KindCommitmentMissed:
			s := w("对客户的承诺未在截止时间前兑现")
			if v.overdue != "" {
				s += fmt.Sprintf(w("，已逾期 %s"), v.overdue)
			}
			return s + w("。请尽快处理，并如实告知客户新的时间。")
		case KindCommitmentEscalated:
			s := w("对客户的承诺已逾期")
			if v.overdue != "" {
				s += " " + v.overdue
			}
			s += w("，仍未兑现")
			if v.rung != "" {
				s += w("，已升级至") + v.rung
			}
			return s + w("。请跟进并决定下一步。")
		case KindExpediteAssigned:
			s := fmt.Sprintf(w("%s 已加急"), v.ticket)
			if v.owner != "" {
				s += fmt.Sprintf(w("，由%s负责"), v.owner)
			}
			return s + w("。请在截止时间前完成，并告知客户进展。")
		}
		return fmt.Sprintf(w("%s 有新的通知。"), v.ticket)
	}
	return p
}

func zhParen(s string, ok bool) string {
	if !ok {
		return ""
	}
	return "（" + s + "）"
}

// hant converts the few simplified words of the Chinese phrasebook to
// traditional characters.
var hant = strings.NewReplacer(
	"紧急事件", "緊急事件", "紧急", "緊急", "工单", "工單", "需要立即处理", "需要立即處理",
	"确认", "確認", "升级", "升級", "承诺", "承諾", "即将到期", "即將到期", "须于", "須於",
	"兑现", "兌現", "超时", "超時", "分钟", "分鐘", "小时", "小時", "负责", "負責",
	"被识别为", "被識別為", "打开", "打開", "并按安全预案处理", "並按安全預案處理",
	"规定时间内无人", "規定時間內無人", "对客户", "對客戶", "还剩", "還剩", "请", "請",
	"按时", "按時", "无法", "無法", "提前如实告知客户", "提前如實告知客戶", "截止时间前", "截止時間前",
	"尽快处理", "盡快處理", "如实告知客户新的时间", "如實告知客戶新的時間", "跟进并决定下一步", "跟進並決定下一步",
	"告知客户进展", "告知客戶進展", "并", "並",
)

var phrasebook = map[string]phrases{
	LocaleZhHans: zh(func(s string) string { return s },
		map[string]string{
			"": "人身安全", "help_cry": "呼救", "kidnapping": "绑架或被扣留", "violence": "暴力",
			"weapon": "持械威胁", "sexual_assault": "性侵犯", "accident_injury": "事故受伤", "fire": "火灾",
			"gas": "燃气泄漏", "self_harm": "自伤风险", "child_locked": "儿童被困", "medical": "急症",
			"danger_situation": "危险处境",
		},
		map[string]string{
			"agent": "客服", "team_lead": "组长", "supervisor": "主管", "manager": "经理",
			"director": "总监", "safety": "安全团队", "safety_team": "安全团队", "on_call": "值班人员",
		},
		"工单：", "主题：", "紧急类型：", "承诺：", "原因：", "负责人：", "截止：", "升级至：", "链接："),
	LocaleZhHant: zh(hant.Replace,
		map[string]string{
			"": "人身安全", "help_cry": "呼救", "kidnapping": "綁架或被扣留", "violence": "暴力",
			"weapon": "持械威脅", "sexual_assault": "性侵犯", "accident_injury": "事故受傷", "fire": "火災",
			"gas": "燃氣洩漏", "self_harm": "自傷風險", "child_locked": "兒童被困", "medical": "急症",
			"danger_situation": "危險處境",
		},
		map[string]string{
			"agent": "客服", "team_lead": "組長", "supervisor": "主管", "manager": "經理",
			"director": "總監", "safety": "安全團隊", "safety_team": "安全團隊", "on_call": "值班人員",
		},
		"工單：", "主旨：", "緊急類型：", "承諾：", "原因：", "負責人：", "截止：", "升級至：", "連結："),
	LocaleEn: en(),
}

func en() phrases {
	p := phrases{
		ticket: "ticket",
		emergencies: map[string]string{
			"": "safety", "help_cry": "cry for help", "kidnapping": "kidnapping or being held", "violence": "violence",
			"weapon": "weapon", "sexual_assault": "sexual assault", "accident_injury": "accident or injury", "fire": "fire",
			"gas": "gas leak", "self_harm": "self-harm risk", "child_locked": "child locked in", "medical": "medical emergency",
			"danger_situation": "dangerous situation",
		},
		rungs: map[string]string{
			"agent": "agent", "team_lead": "team lead", "supervisor": "supervisor", "manager": "manager",
			"director": "director", "safety": "safety team", "safety_team": "safety team", "on_call": "on-call",
		},
		date: func(t time.Time) (string, string) {
			return t.Format("2 Jan 15:04"), t.Format("Mon 2 Jan 2006 15:04") + " (" + offset(t) + ")"
		},
		span:    spanEn,
		lTicket: "Ticket: ", lSubject: "Subject: ", lEmergency: "Emergency: ", lPromise: "Promise: ",
		lReason: "Reason: ", lOwner: "Owner: ", lDue: "Due: ", lRung: "Escalated to: ", lLink: "Link: ",
	}
	p.title = func(kind string, v view) string {
		switch kind {
		case KindEmergencyRaised:
			return fmt.Sprintf("EMERGENCY: %s (%s) needs a person now", v.ticket, v.emergency)
		case KindEmergencyEscalated:
			s := fmt.Sprintf("EMERGENCY: %s not acknowledged", v.ticket)
			if v.rung != "" {
				s += " (escalated to " + v.rung + ")"
			}
			return s
		case KindCommitmentReminder:
			if v.dueShort == "" {
				return "Commitment due soon: " + v.ticket
			}
			return fmt.Sprintf("Commitment due soon: %s due %s", v.ticket, v.dueShort)
		case KindCommitmentMissed:
			if v.overdue == "" {
				return "Commitment missed: " + v.ticket
			}
			return fmt.Sprintf("Commitment missed: %s is %s overdue", v.ticket, v.overdue)
		case KindCommitmentEscalated:
			s := "Commitment overdue: " + v.ticket
			if v.overdue != "" {
				s += " is " + v.overdue + " overdue"
			}
			if v.rung != "" {
				s += " (escalated to " + v.rung + ")"
			}
			return s
		case KindExpediteAssigned:
			s := "Expedite: " + v.ticket
			if v.owner != "" {
				s += " owned by " + v.owner
			}
			if v.dueShort != "" {
				if v.owner != "" {
					s += ","
				}
				s += " due " + v.dueShort
			}
			return s
		}
		return "Alert: " + v.ticket
	}
	p.lead = func(kind string, v view) string {
		T := capitalize(v.ticket)
		switch kind {
		case KindEmergencyRaised:
			return fmt.Sprintf("%s was flagged as an emergency (%s). Open the ticket now to acknowledge it, and follow the safety playbook.", T, v.emergency)
		case KindEmergencyEscalated:
			s := fmt.Sprintf("Nobody acknowledged emergency %s in time", v.ticket)
			if v.rung != "" {
				s += "; it was escalated to " + v.rung
			}
			return s + ". Open the ticket now to acknowledge it, and follow the safety playbook."
		case KindCommitmentReminder:
			s := "A commitment to the customer is due soon"
			if v.left != "" {
				s += " (" + v.left + " left)"
			}
			return s + ". Keep it on time; if you cannot, tell the customer honestly before it is due."
		case KindCommitmentMissed:
			s := "A commitment to the customer was not kept by its deadline"
			if v.overdue != "" {
				s += " and is " + v.overdue + " overdue"
			}
			return s + ". Deal with it now, and tell the customer honestly when it will happen."
		case KindCommitmentEscalated:
			s := "A commitment to the customer is overdue"
			if v.overdue != "" {
				s += " by " + v.overdue
			}
			s += " and still not kept"
			if v.rung != "" {
				s += "; it was escalated to " + v.rung
			}
			return s + ". Follow up and decide what happens next."
		case KindExpediteAssigned:
			s := T + " was expedited"
			if v.owner != "" {
				s += "; " + v.owner + " owns it"
			}
			return s + ". Finish it before the deadline and keep the customer informed."
		}
		return fmt.Sprintf("There is a new alert about %s.", v.ticket)
	}
	return p
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
