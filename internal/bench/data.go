package bench

import (
	"fmt"
	"strings"
)

// Request content is derived deterministically from (run seed, sequence
// number) by a hash, so workers need no shared random source and every
// request differs from its neighbours.

// mix is splitmix64's finalizer: a cheap, well-spread hash of x.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// pick returns one element of list chosen by h.
func pick[T any](list []T, h uint64) T { return list[h%uint64(len(list))] }

// Mainland mobile prefixes (three digits; eight more follow).
var phonePrefixes = []string{
	"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"147", "150", "151", "152", "153", "155", "156", "157", "158", "159",
	"166", "170", "173", "175", "176", "177", "178", "180", "181", "182",
	"183", "184", "185", "186", "187", "188", "189", "191", "198", "199",
}

// phone returns the i-th phone number of a run. Numbers are distinct for
// distinct i (i < 10^8) within a run: the eight-digit tail walks the ring
// mod 10^8 with a stride coprime to it, starting at a per-run offset.
func phone(seed uint64, i int) string {
	const ring = 100_000_000
	tail := (seed%ring + uint64(i)*7_919) % ring
	return pick(phonePrefixes, mix(seed^uint64(i))) + fmt.Sprintf("%08d", tail)
}

var surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗", "高"}
var givenNames = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "晓东", "雨桐", "子涵", "浩然"}
var latinNames = []string{"Alice Chen", "Brian Wong", "Carmen Lee", "David Liu", "Emily Zhang", "Frank Ho", "Grace Lin", "Henry Tan", "Irene Wu", "Jason Cheung"}

func customerName(h uint64) string {
	if h%10 == 0 {
		return pick(latinNames, h>>8)
	}
	return pick(surnames, h>>8) + pick(givenNames, h>>16)
}

// Templates take an order number (%s) where they contain one.
var subjects = []string{
	"订单 %s 未发货",
	"物流一直没有更新（订单 %s）",
	"申请退款：订单 %s",
	"收到的商品有破损",
	"发票抬头填错了，想重新开具",
	"会员积分没有到账",
	"修改收货地址 - %s",
	"优惠券无法使用",
	"账号无法登录，收不到验证码",
	"商品与描述不符，要求退货",
	"Order %s has not shipped yet",
	"Refund request for order %s",
	"Wrong item received",
	"Cannot log in to my account",
	"咨询：保修期内维修流程",
	"投诉：客服电话一直打不通",
}

var customerBodies = []string{
	"我的订单 %s 还没有发货，请帮我查询物流",
	"你好，我三天前下的订单 %s，到现在物流信息一直没有更新，麻烦帮忙看一下是什么情况。",
	"收到的商品外包装破损，里面的杯子碎了两个，订单号 %s，希望尽快给我补发或者退款。",
	"请问订单 %s 可以修改收货地址吗？我搬家了，新地址是上海市浦东新区张江路 88 号。",
	"申请退款，订单 %s，商品尺码不合适，还没有拆封。",
	"发票抬头写错了，应该是“深圳市某某科技有限公司”，税号 91440300MA5XXXXXXX，订单 %s。",
	"会员积分上周就应该到账了，现在还是显示 0，麻烦查一下。",
	"验证码一直收不到，换了两个手机号都不行，着急登录查看订单 %s。",
	"Hi, my order %s was supposed to arrive yesterday but tracking hasn't moved in 4 days. Can you check?",
	"I received the wrong colour (ordered black, got white). Order %s. Please advise on exchange.",
	"Hello, I'd like a refund for order %s — the item stopped working after two days.",
	"优惠券满 200 减 30，结算的时候提示不可用，订单金额是 268 元，这是为什么？",
	"客服电话打了好几次都没人接，订单 %s 的退款到底什么时候到账？已经等了 10 个工作日了。",
	"您好，想咨询一下保修期内的维修流程，需要寄回吗？运费谁承担？",
}

var agentBodies = []string{
	"您好，已为您查询到订单 %s 目前在仓库打包中，预计 24 小时内发出，请耐心等待。",
	"非常抱歉给您带来不便，我们已为您登记补发，新的快递单号会通过短信通知您。",
	"您好，退款已提交，原路退回预计 1-3 个工作日到账，请留意银行通知。",
	"收货地址已经为您修改成功，请在订单详情中确认。",
	"请提供一下商品破损的照片，我们核实后会第一时间为您处理。",
	"积分到账有 7 天的延迟，我这边帮您加急处理，今天内会到账。",
	"Thanks for reaching out. I've escalated order %s to our logistics team and will update you within 24 hours.",
	"Your refund has been approved and should appear on your statement in 3–5 business days.",
	"已为您重新开具发票，电子发票会发送到您预留的邮箱，请查收。",
	"感谢您的耐心等待，问题已经解决，如有其他疑问随时联系我们。",
}

var channels = []string{"chat", "chat", "chat", "app", "phone", "email"}
var priorities = []string{"normal", "normal", "normal", "normal", "low", "high", "urgent"}

func orderNo(h uint64) string {
	return fmt.Sprintf("%c%06d", 'A'+rune(h%26), (h>>8)%1_000_000)
}

func fill(tmpl string, h uint64) string {
	if strings.Contains(tmpl, "%s") {
		return fmt.Sprintf(tmpl, orderNo(h))
	}
	return tmpl
}

type identityJSON struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

type customerJSON struct {
	Name       string         `json:"name"`
	Identities []identityJSON `json:"identities"`
}

type messageJSON struct {
	Kind string `json:"kind"`
	Body string `json:"body"`
}

type createTicketJSON struct {
	Subject  string       `json:"subject"`
	Channel  string       `json:"channel"`
	Priority string       `json:"priority"`
	Customer customerJSON `json:"customer"`
	Message  messageJSON  `json:"message"`
}

// newTicket builds the i-th create request of a run for the given phone.
func newTicket(seed uint64, i int, phoneNo string) createTicketJSON {
	h := mix(seed ^ mix(uint64(i)))
	order := h >> 20
	t := createTicketJSON{
		Subject:  fill(pick(subjects, h), order),
		Channel:  pick(channels, h>>5),
		Priority: pick(priorities, h>>9),
		Customer: customerJSON{
			Name:       customerName(h >> 13),
			Identities: []identityJSON{{Kind: "phone", Value: phoneNo}},
		},
		Message: messageJSON{Kind: "customer", Body: fill(pick(customerBodies, h>>17), order)},
	}
	if h%8 == 0 { // some customers also leave an e-mail address
		t.Customer.Identities = append(t.Customer.Identities, identityJSON{Kind: "email", Value: "u" + phoneNo + "@example.com"})
	}
	return t
}

func agentReply(seed uint64, i int) messageJSON {
	h := mix(seed ^ mix(uint64(i)) ^ 0xa5a5)
	return messageJSON{Kind: "agent", Body: fill(pick(agentBodies, h), h>>20)}
}
