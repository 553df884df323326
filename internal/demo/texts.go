package demo

import "github.com/kefu-project/kefu/internal/kefu"

// lines are the words of one scenario in one language. Every slice holds
// alternatives; the planner picks one. Placeholders in braces ({order},
// {amount}, {due}…) are filled per ticket by render.
type lines struct {
	Subject string
	First   []string // the customer's first message
	Reply   []string // the agent's first answer
	Follow  []string // the customer writes again
	Reply2  []string // the agent answers that
	Note    []string // internal notes
	Solve   []string // the agent's last message
	Commit  string   // commitment description
}

// scenario is one kind of customer problem with its routing, authority and
// promise patterns.
type scenario struct {
	key      string
	org      string // org key the ticket belongs to
	category string
	tags     []string
	channels []kefu.Channel
	weight   float64
	priority kefu.Priority
	queue    string // queue key override ("complaint", "safety"); "" routes by org and channel
	dept     string // department key it may be forwarded to
	deptP    float64
	commit   kefu.CommitmentKind
	commitP  float64
	action   kefu.Action
	amount   [2]int // amount range in major units (yuan, NT$); also used in the texts
	actionP  float64
	company  bool // raised by corporate (KA) customers
	text     map[string]lines
}

const (
	zhHans = "zh-Hans"
	zhHant = "zh-Hant"
	en     = "en"
)

var (
	chatLike = []kefu.Channel{kefu.ChannelChat, kefu.ChannelChat, kefu.ChannelApp, kefu.ChannelPhone, kefu.ChannelEmail}
	allCh    = []kefu.Channel{kefu.ChannelChat, kefu.ChannelApp, kefu.ChannelPhone, kefu.ChannelEmail, kefu.ChannelForm}
	mailLike = []kefu.Channel{kefu.ChannelEmail, kefu.ChannelEmail, kefu.ChannelForm, kefu.ChannelPhone}
	appLike  = []kefu.Channel{kefu.ChannelApp, kefu.ChannelApp, kefu.ChannelChat, kefu.ChannelPhone}
)

// hualianScenarios are the problems of the group's subsidiaries and brands.
var hualianScenarios = []scenario{
	{
		key: "shop_refund", org: "shop", category: "退款", tags: []string{"退款"}, channels: allCh, weight: 9,
		dept: "finance", deptP: 0.2, commit: kefu.CommitRefund, commitP: 0.55, action: kefu.ActionRefund, amount: [2]int{59, 2999}, actionP: 0.5,
		text: map[string]lines{
			zhHans: {
				Subject: "退货已签收，退款还没到账（订单 {order}）",
				First: []string{
					"你好，我{date}退回的商品你们仓库已经签收了，订单号{order}，到现在退款还没到账，金额{amount}元，麻烦帮我查一下。",
					"订单{order}申请了退货退款，快递显示已经签收三天了，退款一直显示“处理中”，到底什么时候能退？",
					"我要退款！订单{order}的东西早就寄回去了，{amount}元到现在都没退给我。",
				},
				Reply: []string{
					"{cname}您好，我是{agent}。已为您查询订单{order}：仓库已于{date}签收退货，退款{amount}元正在财务审核中，我这边帮您加急处理，请稍等。",
					"{cname}您好，很抱歉让您久等了。订单{order}的退货已入库质检通过，退款{amount}元已提交，我帮您跟进到账情况。",
				},
				Follow: []string{"好的，那大概几天能到？我是信用卡付的。", "能不能快一点，我着急用钱。", "上次也是这么说的，这次到底什么时候？"},
				Reply2: []string{
					"原路退回信用卡一般需要1-3个工作日，我们承诺{due}前到账，到账后会短信通知您。",
					"理解您的心情，已经为您加急，退款会在{due}前原路退回，我会一直跟进到到账为止。",
				},
				Note: []string{"退款单已生成，财务审核队列积压，已在群里催办。", "核实：退货入库质检通过，无扣款项。", "客户第二次来电催退款，语气急，注意安抚。"},
				Solve: []string{
					"{cname}您好，退款{amount}元已原路退回，请注意查收。如还有问题随时联系我们，祝您生活愉快！",
					"{cname}您好，您的退款{amount}元已到账（原路退回），感谢您的耐心等待。",
				},
				Commit: "退款{amount}元于3个工作日内原路退回（{due}前）",
			},
			zhHant: {
				Subject: "退貨已簽收，退款還沒入帳（訂單 {order}）",
				First:   []string{"您好，我{date}寄回的商品倉庫已經簽收了，訂單編號{order}，退款{amount}元到現在還沒入帳，麻煩幫我查一下，謝謝。", "請問訂單{order}的退款什麼時候會退？退貨已經寄回三天了。"},
				Reply:   []string{"{cname}您好，我是客服{agent}，已為您查詢訂單{order}，退貨已簽收，退款{amount}元正在財務審核中，我這邊幫您加急處理。"},
				Follow:  []string{"好的，大概幾天會入帳呢？", "可以快一點嗎？我刷的是信用卡。"},
				Reply2:  []string{"退回原付款方式一般需要1-3個工作天，我們承諾{due}前入帳，入帳後會以簡訊通知您。"},
				Note:    []string{"台灣客戶，退款走原信用卡，財務已確認。"},
				Solve:   []string{"{cname}您好，退款{amount}元已退回原付款方式，請留意查收。感謝您的耐心等候！"},
				Commit:  "退款{amount}元於3個工作天內退回（{due}前）",
			},
			en: {
				Subject: "Refund not received for returned order {order}",
				First:   []string{"Hi, I returned order {order} and the courier shows it was delivered to your warehouse on {date}. I still haven't received my refund of CNY {amount}. Could you check please?"},
				Reply:   []string{"Hi {cname}, this is {agent}. I checked order {order}: the return arrived on {date} and the refund of CNY {amount} is with our finance team for approval. I've asked them to expedite it."},
				Follow:  []string{"Thanks. How long will it take to reach my card?", "This is taking too long. When exactly?"},
				Reply2:  []string{"Refunds to the original card usually take 1–3 working days. We commit to have it back on your card by {due}, and you'll get an SMS when it's done."},
				Note:    []string{"English-speaking customer; refund to foreign Visa card may take longer."},
				Solve:   []string{"Hi {cname}, the refund of CNY {amount} has been issued to your original payment method. Thanks for your patience!"},
				Commit:  "Refund CNY {amount} to the original payment method by {due}",
			},
		},
	},
	{
		key: "shop_logistics", org: "shop", category: "物流", tags: []string{"物流"}, channels: chatLike, weight: 8,
		dept: "logistics", deptP: 0.45, commit: kefu.CommitFollowUp, commitP: 0.3,
		text: map[string]lines{
			zhHans: {
				Subject: "快递三天没有更新物流（订单 {order}）",
				First: []string{
					"我在华联优选买的东西，订单{order}，物流信息已经三天没动了，一直停在{city}转运中心，什么情况？",
					"你好，订单{order}显示已发货，但是快递一直没送到，快递员电话也打不通，能帮忙催一下吗？",
				},
				Reply:  []string{"{cname}您好，我是{agent}。已查询到订单{order}目前停留在{city}转运中心，可能是大促期间包裹积压导致。我已联系物流部门核实，有结果第一时间通知您。"},
				Follow: []string{"都好几天了，能不能给个准话，到底什么时候能送到？", "这是送人的礼物，周末之前必须要到。"},
				Reply2: []string{"非常理解您的心情。物流部门反馈包裹已重新分拣，预计{due}前送达，届时我会再跟进一次。"},
				Note:   []string{"已转物流部核实，转运中心回复包裹面单破损，需要人工补单。", "网点爆仓，已申请优先派送。"},
				Solve:  []string{"{cname}您好，系统显示您的包裹已签收，如商品有任何问题请随时联系我们。", "包裹已送达，感谢您的耐心等待，祝您购物愉快！"},
				Commit: "跟进订单{order}物流，{due}前给客户答复",
			},
			zhHant: {
				Subject: "包裹三天沒有物流更新（訂單 {order}）",
				First:   []string{"訂單{order}的包裹物流三天沒有更新，一直停在轉運中心，請問是什麼狀況？"},
				Reply:   []string{"{cname}您好，我是{agent}，已查詢到訂單{order}目前停留在轉運中心，我已請物流部門協助確認，有結果會第一時間通知您。"},
				Follow:  []string{"請問大概什麼時候可以收到？"},
				Reply2:  []string{"物流部門回覆包裹已重新分揀，預計{due}前送達。"},
				Note:    []string{"已請物流部協查。"},
				Solve:   []string{"{cname}您好，系統顯示包裹已簽收，如有任何問題歡迎隨時與我們聯繫。"},
				Commit:  "追蹤訂單{order}物流，{due}前回覆客戶",
			},
			en: {
				Subject: "Package stuck in transit – order {order}",
				First:   []string{"Hello, the tracking for order {order} hasn't moved for three days. It's stuck at the {city} sorting center. What's going on?"},
				Reply:   []string{"Hi {cname}, I'm {agent}. Your parcel for order {order} is held at the {city} sorting center; volumes are very high after the sales festival. I've asked our logistics team to chase it and will update you."},
				Follow:  []string{"Any update? I really need it this week."},
				Reply2:  []string{"Logistics confirmed the parcel has been re-sorted and should be delivered by {due}. I'll check again then."},
				Note:    []string{"Forwarded to logistics; hub reports damaged label."},
				Solve:   []string{"Hi {cname}, the parcel shows as delivered. Let us know if anything is wrong with the item."},
				Commit:  "Update the customer on order {order} delivery by {due}",
			},
		},
	},
	{
		key: "shop_price", org: "shop", category: "价保", tags: []string{"价保"}, channels: appLike, weight: 3,
		action: kefu.ActionCompensate, amount: [2]int{10, 150}, actionP: 0.9,
		text: map[string]lines{
			zhHans: {
				Subject: "价保申请（订单 {order}）",
				First:   []string{"我前几天买的，今天同款便宜了{amount}元，能价保吗？订单号{order}。", "刚买完就降价了，差了{amount}块，你们有价保吗？"},
				Reply:   []string{"{cname}您好，已核实订单{order}在价保期内，差价{amount}元可以为您申请补偿，补偿将原路退回。"},
				Follow:  []string{"好的，谢谢。"},
				Reply2:  []string{"不客气，补偿提交后1个工作日内到账。"},
				Note:    []string{"价保规则：下单后15天内同款降价可补差价。"},
				Solve:   []string{"差价{amount}元已补偿到您的原支付账户，感谢您对华联优选的支持！"},
			},
		},
	},
	{
		key: "shop_wrong_item", org: "shop", category: "售后", tags: []string{"错发", "换货"}, channels: chatLike, weight: 3,
		dept: "product", deptP: 0.15, commit: kefu.CommitFollowUp, commitP: 0.5,
		text: map[string]lines{
			zhHans: {
				Subject: "收到的商品发错了（订单 {order}）",
				First:   []string{"订单{order}我买的是黑色M码，收到的是白色L码，要怎么处理？", "你们发错货了，我买的是两件，只收到一件，还是别的款式。"},
				Reply:   []string{"{cname}您好，非常抱歉给您带来不便。已为您登记换货，快递员会在{due}前上门取件，新的商品同步发出，运费由我们承担。"},
				Follow:  []string{"取件是上午还是下午？我白天上班。"},
				Reply2:  []string{"已备注晚上7点后上门，快递员会提前电话联系您。"},
				Note:    []string{"仓库确认拣货错误，已记录给产品部做质量复盘。"},
				Solve:   []string{"换货商品已签收，再次为发错货向您致歉，祝您生活愉快。"},
				Commit:  "{due}前完成上门取件并发出正确商品",
			},
			en: {
				Subject: "Wrong item received – order {order}",
				First:   []string{"I ordered a black jacket in size M (order {order}) but received a white one in L. How do I exchange it?"},
				Reply:   []string{"Hi {cname}, sorry about that. I've booked an exchange: a courier will collect the item by {due} and the right one ships at the same time, free of charge."},
				Follow:  []string{"Can the pickup be in the evening?"},
				Reply2:  []string{"Noted – the courier will come after 7 pm and call you first."},
				Note:    []string{"Warehouse confirms picking error."},
				Solve:   []string{"The replacement has been delivered. Sorry again for the mix-up!"},
				Commit:  "Collect the wrong item and ship the right one by {due}",
			},
		},
	},
	{
		key: "shop_invoice", org: "shop", category: "发票", tags: []string{"发票"}, channels: mailLike, weight: 2,
		text: map[string]lines{
			zhHans: {
				Subject: "申请开具电子发票（订单 {order}）",
				First:   []string{"订单{order}需要开公司抬头的电子发票，税号已经填在备注里了，麻烦尽快开一下。"},
				Reply:   []string{"{cname}您好，已为您提交开票申请，电子发票将发送至您预留的邮箱。"},
				Follow:  []string{"抬头写错了一个字，能重开吗？"},
				Reply2:  []string{"可以的，已作废原发票并重新开具。"},
				Note:    []string{"发票系统同步延迟，已手工补开。"},
				Solve:   []string{"{cname}您好，电子发票已发送至您的邮箱，请查收。"},
			},
		},
	},
	{
		key: "ins_claim_car", org: "ins", category: "理赔", tags: []string{"理赔", "车险"}, channels: []kefu.Channel{kefu.ChannelPhone, kefu.ChannelPhone, kefu.ChannelApp, kefu.ChannelEmail}, weight: 6,
		commit: kefu.CommitFollowUp, commitP: 0.5, dept: "legal", deptP: 0.05,
		text: map[string]lines{
			zhHans: {
				Subject: "车险理赔进度查询（保单 {policy}）",
				First: []string{
					"我{date}出了个小事故，追尾了，已经报案，报案号{claim}，定损完成一周了理赔款还没下来，想问下进度。",
					"你好，我的车险报案{claim}，修理厂催我付钱了，赔款什么时候能到？",
				},
				Reply:  []string{"{cname}您好，我是{agent}。已查询到报案号{claim}，定损金额{amount}元，目前在理赔复核环节，资料齐全。我帮您催办，预计{due}前支付。"},
				Follow: []string{"复核要多久？修理厂天天催我。", "还要我补什么材料吗？"},
				Reply2: []string{"已为您加急，复核员今天会处理，赔款会直接打到您登记的银行卡。"},
				Note:   []string{"复核员反馈缺少维修发票照片，已短信通知客户补传。", "三者车损已协商完毕，无争议。"},
				Solve:  []string{"{cname}您好，赔款{amount}元已支付至您尾号{card}的银行卡，请查收。祝您一路平安！"},
				Commit: "车险赔款{amount}元于{due}前支付",
			},
			zhHant: {
				Subject: "車險理賠進度查詢（保單 {policy}）",
				First:   []string{"我{date}發生小擦撞，已經報案，案件編號{claim}，定損完成一週了理賠款還沒下來，想詢問進度。"},
				Reply:   []string{"{cname}您好，我是{agent}，已查詢到案件{claim}目前在理賠覆核階段，資料齊全，我幫您加速處理，預計{due}前撥款。"},
				Follow:  []string{"覆核還要多久呢？修車廠在催款了。"},
				Reply2:  []string{"已為您加急處理，覆核人員今天會處理完畢。"},
				Note:    []string{"客戶補件完成。"},
				Solve:   []string{"{cname}您好，理賠款{amount}元已匯入您末四碼{card}的帳戶，請查收。"},
				Commit:  "理賠款{amount}元於{due}前撥付",
			},
			en: {
				Subject: "Car insurance claim status – policy {policy}",
				First:   []string{"Hi, I had a minor accident on {date} and filed claim {claim}. The damage assessment was done a week ago but I haven't been paid yet. What's the status?"},
				Reply:   []string{"Hi {cname}, this is {agent}. Claim {claim} was assessed at CNY {amount} and is in final review; all documents are in. I've asked for it to be expedited – payment expected by {due}."},
				Follow:  []string{"The garage is asking me to pay. How long will the review take?"},
				Reply2:  []string{"I've flagged it as urgent; the reviewer will handle it today and the payment goes to your registered account."},
				Note:    []string{"Expat customer, documents in English accepted by claims."},
				Solve:   []string{"Hi {cname}, the claim payment of CNY {amount} has been sent to your account ending {card}."},
				Commit:  "Pay claim {claim} (CNY {amount}) by {due}",
			},
		},
	},
	{
		key: "ins_claim_medical", org: "ins", category: "理赔", tags: []string{"理赔", "医疗险"}, channels: []kefu.Channel{kefu.ChannelEmail, kefu.ChannelApp, kefu.ChannelPhone}, weight: 4,
		commit: kefu.CommitFollowUp, commitP: 0.3,
		text: map[string]lines{
			zhHans: {
				Subject: "医疗险报销材料咨询（保单 {policy}）",
				First:   []string{"你好，我上个月住院做了个小手术，医疗险报销需要哪些材料？发票原件要寄过去吗？保单号{policy}。"},
				Reply:   []string{"{cname}您好，医疗险理赔需要：住院发票、费用清单、出院小结和身份证照片。目前支持在华联保险App上传电子版，无需邮寄原件。"},
				Follow:  []string{"已经在App上传了，麻烦看一下材料是否齐全。"},
				Reply2:  []string{"材料已收到并齐全，已进入审核，预计{due}前出结果。"},
				Note:    []string{"既往症核查无异常。"},
				Solve:   []string{"{cname}您好，您的医疗险理赔已结案，赔付{amount}元已到账。"},
				Commit:  "{due}前告知医疗险理赔审核结果",
			},
		},
	},
	{
		key: "ins_policy_change", org: "ins", category: "保单", tags: []string{"保单变更"}, channels: mailLike, weight: 3,
		text: map[string]lines{
			zhHans: {
				Subject: "保单受益人变更（保单 {policy}）",
				First:   []string{"我想把保单{policy}的受益人从我父亲改成我太太，需要怎么办理？", "保单{policy}的联系地址要改一下，我搬家了。"},
				Reply:   []string{"{cname}您好，变更需要投保人签字的变更申请书和相关身份证明，您可以在App“保单服务-变更”中在线提交。"},
				Follow:  []string{"提交了，多久生效？"},
				Reply2:  []string{"审核通过后即时生效，一般1个工作日内完成。"},
				Note:    []string{"已核对投保人身份。"},
				Solve:   []string{"变更已生效，新的保单批单已发送至您的邮箱。"},
			},
			en: {
				Subject: "Change of beneficiary on policy {policy}",
				First:   []string{"I'd like to change the beneficiary on policy {policy} from my father to my wife. What do I need?"},
				Reply:   []string{"Hi {cname}, you can submit the change in the app under Policy Services → Changes, with a signed request form and the new beneficiary's ID."},
				Follow:  []string{"Done. When will it take effect?"},
				Reply2:  []string{"Once reviewed, usually within one working day."},
				Note:    []string{"Identity of policyholder verified."},
				Solve:   []string{"The change is effective; the endorsement has been emailed to you."},
			},
			zhHant: {
				Subject: "保單受益人變更（保單 {policy}）",
				First:   []string{"我想把保單{policy}的受益人從父親改成太太，請問要怎麼辦理？"},
				Reply:   []string{"{cname}您好，變更需要要保人簽名的變更申請書及受益人身分證明，可在App「保單服務－變更」線上申請。"},
				Follow:  []string{"已經送出了，多久會生效？"},
				Reply2:  []string{"審核通過後立即生效，一般一個工作天內完成。"},
				Note:    []string{"已核對要保人身分。"},
				Solve:   []string{"變更已生效，新的批註書已寄至您的電子信箱。"},
			},
		},
	},
	{
		key: "ins_surrender", org: "ins", category: "退款", tags: []string{"退保", "退款"}, channels: mailLike, weight: 2,
		dept: "finance", deptP: 0.25, commit: kefu.CommitRefund, commitP: 0.7, action: kefu.ActionRefund, amount: [2]int{1200, 4800}, actionP: 0.9,
		text: map[string]lines{
			zhHans: {
				Subject: "犹豫期退保退款（保单 {policy}）",
				First:   []string{"我要退掉保单{policy}，还在犹豫期内，已经提交了申请，请问退款{amount}元什么时候到账？"},
				Reply:   []string{"{cname}您好，已收到您的犹豫期退保申请，保费{amount}元将全额退还。退款需主管审批，审批通过后3个工作日内到账。"},
				Follow:  []string{"审批要多久？"},
				Reply2:  []string{"已提交审批，今天内会处理，退款承诺{due}前到账。"},
				Note:    []string{"金额超出坐席权限，已提交主管审批。"},
				Solve:   []string{"{cname}您好，退保退款{amount}元已退回您的账户，保单已终止。"},
				Commit:  "犹豫期退保退款{amount}元于{due}前到账",
			},
		},
	},
	{
		key: "bank_card_fee", org: "bank", category: "信用卡", tags: []string{"信用卡", "年费"}, channels: []kefu.Channel{kefu.ChannelPhone, kefu.ChannelPhone, kefu.ChannelChat, kefu.ChannelApp}, weight: 5,
		action: kefu.ActionRefund, amount: [2]int{200, 1800}, actionP: 0.85,
		text: map[string]lines{
			zhHans: {
				Subject: "信用卡年费扣款疑问（尾号 {card}）",
				First:   []string{"我的信用卡尾号{card}今天被扣了{amount}元年费，办卡的时候说刷满6次免次年年费，我是刷够了的，为什么还扣？"},
				Reply:   []string{"{cname}您好，我是{agent}。核实到您尾号{card}的卡片本年度消费已满6次，符合免年费条件，系统误扣了年费，我马上为您申请退回。"},
				Follow:  []string{"多久能退回来？会影响我征信吗？"},
				Reply2:  []string{"不会影响征信，退回的年费会在下期账单体现。"},
				Note:    []string{"年费减免超出坐席额度，需组长审批。", "批量误扣，已反馈产品部核查规则。"},
				Solve:   []string{"年费{amount}元已退回您的信用卡账户，将在下期账单体现。给您带来不便，非常抱歉。"},
			},
			zhHant: {
				Subject: "信用卡年費扣款疑問（末四碼 {card}）",
				First:   []string{"我的信用卡末四碼{card}今天被扣了年費{amount}元，辦卡時說刷滿六次免次年年費，我有刷滿，為什麼還是被扣？"},
				Reply:   []string{"{cname}您好，我是{agent}，查詢到您末四碼{card}的卡片本年度已消費滿六次，符合免年費條件，我馬上為您申請退回。"},
				Follow:  []string{"會影響信用紀錄嗎？"},
				Reply2:  []string{"不會影響，退回的年費會顯示在下期帳單。"},
				Note:    []string{"年費減免需組長核准。"},
				Solve:   []string{"年費{amount}元已退回您的信用卡帳戶，將於下期帳單顯示，造成不便深感抱歉。"},
			},
		},
	},
	{
		key: "bank_fraud", org: "bank", category: "信用卡", tags: []string{"信用卡", "盗刷"}, channels: []kefu.Channel{kefu.ChannelPhone, kefu.ChannelPhone, kefu.ChannelApp}, weight: 3, priority: kefu.PriorityHigh,
		commit: kefu.CommitFollowUp, commitP: 0.8, dept: "legal", deptP: 0.1,
		text: map[string]lines{
			zhHans: {
				Subject: "信用卡疑似被盗刷（尾号 {card}）",
				First:   []string{"刚收到短信，我的卡尾号{card}在境外刷了{amount}元，我人在{city}，卡在我手上，不是我刷的！", "我的信用卡半夜被刷了好几笔，总共{amount}元，我根本没消费！"},
				Reply:   []string{"{cname}您好，我是{agent}，已为您紧急冻结尾号{card}的卡片，防止继续被盗刷。争议交易已提交调查，调查期间该笔款项无需还款。"},
				Follow:  []string{"那我的钱能追回来吗？新卡什么时候寄给我？"},
				Reply2:  []string{"调查一般需要15个工作日，我们会在{due}前给您结果。新卡已申请补发，预计5个工作日内寄到。"},
				Note:    []string{"已通知风控组优先处理；交易地为境外线上商户。", "客户已报警，报警回执已上传。"},
				Solve:   []string{"争议交易调查已完成，{amount}元已全额退回您的账户。新卡已寄出，请注意查收。"},
				Commit:  "{due}前告知争议交易调查结果",
			},
			en: {
				Subject: "Fraudulent transaction on my credit card ending {card}",
				First:   []string{"I just got a text saying my card ending {card} was charged CNY {amount} abroad. I'm in {city} with the card in my hand – this was not me!"},
				Reply:   []string{"Hi {cname}, this is {agent}. I've blocked the card ending {card} immediately and opened a dispute for the charge; you don't need to pay it while it's investigated."},
				Follow:  []string{"Will I get the money back? When do I get a new card?"},
				Reply2:  []string{"Disputes take up to 15 working days; we'll give you the outcome by {due}. A replacement card is on its way within 5 working days."},
				Note:    []string{"Risk team notified; card-not-present fraud."},
				Solve:   []string{"The dispute is resolved in your favour and CNY {amount} has been credited back. Your new card has been posted."},
				Commit:  "Tell the customer the dispute outcome by {due}",
			},
		},
	},
	{
		key: "bank_frozen", org: "bank", category: "账户", tags: []string{"账户", "冻结"}, channels: []kefu.Channel{kefu.ChannelPhone, kefu.ChannelChat, kefu.ChannelApp}, weight: 3, priority: kefu.PriorityHigh,
		dept: "legal", deptP: 0.1, commit: kefu.CommitCallback, commitP: 0.35,
		text: map[string]lines{
			zhHans: {
				Subject: "账户被限制，无法转账",
				First:   []string{"我的账户突然不能转账了，提示账户状态异常，我工资卡里还有钱要还房贷，怎么回事？"},
				Reply:   []string{"{cname}您好，经核实您的账户因身份证信息过期被系统限制了非柜面交易。您在App上更新身份证照片后即可恢复。"},
				Follow:  []string{"更新完了，还是转不了。"},
				Reply2:  []string{"已为您提交人工审核，预计2小时内恢复，我会在{due}前给您回电确认。"},
				Note:    []string{"涉及司法协查名单核对，已请法务确认。"},
				Solve:   []string{"{cname}您好，您的账户已恢复正常，可以正常转账了。"},
				Commit:  "{due}前回电确认账户已恢复",
			},
			en: {
				Subject: "Account restricted – can't make transfers",
				First:   []string{"My account suddenly can't make transfers, it says 'abnormal account status'. I need to pay my mortgage!"},
				Reply:   []string{"Hi {cname}, your account was restricted because your ID on file has expired. Please upload your new ID in the app and it will be lifted."},
				Follow:  []string{"I uploaded it but still can't transfer."},
				Reply2:  []string{"I've sent it for manual review, usually within 2 hours. I'll call you back by {due} to confirm."},
				Note:    []string{"Passport renewal; manual KYC review requested."},
				Solve:   []string{"Hi {cname}, your account is back to normal."},
				Commit:  "Call the customer back by {due} to confirm the restriction is lifted",
			},
		},
	},
	{
		key: "bank_login", org: "bank", category: "账户", tags: []string{"登录"}, channels: appLike, weight: 4, priority: kefu.PriorityLow,
		commit: kefu.CommitCallback, commitP: 0.15,
		text: map[string]lines{
			zhHans: {
				Subject: "换手机后手机银行登录不上",
				First:   []string{"手机银行一直提示“设备未绑定”，换了新手机之后就登录不了，怎么办？", "手机银行登录一直提示密码错误，我确定密码是对的。"},
				Reply:   []string{"{cname}您好，更换手机后需要重新绑定设备：登录页点“更换设备”，通过人脸识别和短信验证即可。"},
				Follow:  []string{"人脸识别一直失败。"},
				Reply2:  []string{"建议在光线充足处重试；如仍失败，我安排专员在{due}前回电协助您。"},
				Note:    []string{"人脸识别服务今晚有版本发布，失败率偏高。"},
				Solve:   []string{"设备已绑定成功，感谢您的耐心。"},
				Commit:  "{due}前回电协助绑定设备",
			},
			en: {
				Subject: "Can't log in to mobile banking after changing phone",
				First:   []string{"Since I switched to a new phone the banking app says 'device not registered' and I can't log in."},
				Reply:   []string{"Hi {cname}, after changing phones you need to re-register the device: tap 'Change device' on the login screen and complete face verification and the SMS code."},
				Follow:  []string{"Face verification keeps failing."},
				Reply2:  []string{"Please retry in good light. If it still fails a specialist will call you back by {due}."},
				Note:    []string{"Face-ID vendor incident this evening."},
				Solve:   []string{"Your new device is registered. Thanks for your patience!"},
				Commit:  "Call back by {due} to help register the device",
			},
		},
	},
	{
		key: "bank_transfer", org: "bank", category: "转账", tags: []string{"转账"}, channels: []kefu.Channel{kefu.ChannelPhone, kefu.ChannelChat, kefu.ChannelApp}, weight: 3,
		commit: kefu.CommitFollowUp, commitP: 0.3,
		text: map[string]lines{
			zhHans: {
				Subject: "跨行转账未到账",
				First:   []string{"我{date}跨行转账{amount}元给我妈，我这边已经扣款了，对方一直没收到。"},
				Reply:   []string{"{cname}您好，已查询到该笔转账被收款行退回，原因是户名不一致，款项将在1-2个工作日内退回您的账户。"},
				Follow:  []string{"退回来以后我要重新转吗？"},
				Reply2:  []string{"是的，请核对收款人姓名后重新转账，我会在{due}前确认退款到账。"},
				Note:    []string{"收款行退汇报文已收到。"},
				Solve:   []string{"退回的{amount}元已到账，请核对收款人信息后重新转账。"},
				Commit:  "{due}前确认退汇{amount}元到账",
			},
		},
	},
	{
		key: "ride_overcharge", org: "ride", category: "行程", tags: []string{"行程", "多收费"}, channels: appLike, weight: 6,
		action: kefu.ActionRefund, amount: [2]int{45, 260}, actionP: 0.9,
		text: map[string]lines{
			zhHans: {
				Subject: "行程费用异常（行程 {trip}）",
				First:   []string{"昨晚打车从公司到家平时三十多块，这次收了{amount}元，司机明显绕路了，行程号{trip}。", "司机没结束行程，多算了我十几公里，一共收了{amount}元！"},
				Reply:   []string{"{cname}您好，我是{agent}，已调取行程{trip}的轨迹，确认司机未按推荐路线行驶，多收部分将为您退回。"},
				Follow:  []string{"退到哪里？我是用微信付的。"},
				Reply2:  []string{"会原路退回到您的支付账户，一般当天到账。"},
				Note:    []string{"轨迹核实：绕行约9公里，司机记违规一次。"},
				Solve:   []string{"多收的费用已退回您的支付账户，我们已对司机进行处理，感谢您的反馈。"},
			},
			zhHant: {
				Subject: "車資異常（行程 {trip}）",
				First:   []string{"昨晚從公司搭車回家平常三十多，這次收了{amount}元，司機明顯繞路，行程編號{trip}。"},
				Reply:   []string{"{cname}您好，我是{agent}，已調閱行程{trip}的路線紀錄，確認司機未依建議路線行駛，多收的車資將為您退回。"},
				Follow:  []string{"會退到哪裡呢？"},
				Reply2:  []string{"會退回原付款方式，一般當天入帳。"},
				Note:    []string{"路線核實：繞行約9公里。"},
				Solve:   []string{"多收的車資已退回您的付款帳戶，我們也已對司機做出處理，謝謝您的回饋。"},
			},
			en: {
				Subject: "Overcharged for trip {trip}",
				First:   []string{"Last night's ride home usually costs about CNY 35, but I was charged CNY {amount}. The driver clearly took a detour. Trip {trip}."},
				Reply:   []string{"Hi {cname}, this is {agent}. I checked the route for trip {trip} – the driver did not follow the recommended route, so we'll refund the difference."},
				Follow:  []string{"Where will the refund go?"},
				Reply2:  []string{"Back to your original payment method, usually the same day."},
				Note:    []string{"Route check: 9 km detour."},
				Solve:   []string{"The overcharge has been refunded to your payment method and the driver has been dealt with. Thanks for letting us know."},
			},
		},
	},
	{
		key: "ride_lost_item", org: "ride", category: "失物", tags: []string{"失物"}, channels: []kefu.Channel{kefu.ChannelApp, kefu.ChannelChat, kefu.ChannelPhone}, weight: 4,
		commit: kefu.CommitCallback, commitP: 0.6,
		text: map[string]lines{
			zhHans: {
				Subject: "物品遗落在车上（行程 {trip}）",
				First:   []string{"我刚才下车把手机落在后座了，行程号{trip}，车牌{plate}，司机电话打不通，我是用朋友手机联系的你们。", "下车的时候把包忘在车上了，里面有证件，行程{trip}，麻烦帮我联系司机！"},
				Reply:   []string{"{cname}您好，别着急，我是{agent}。我已通过平台隐私号联系司机，司机确认车上有您的物品，正在协商归还时间和地点，全程不会泄露双方号码。"},
				Follow:  []string{"司机说要收费才送过来，合理吗？"},
				Reply2:  []string{"平台规定司机可以收取合理的返程费用，按行程里程计算，会在您的账户中扣除，不需要另外给司机现金。"},
				Note:    []string{"已隐私号联系司机，司机同意今晚送还；如司机失联将升级安全组并限制司机账号。", "司机已出发，预计40分钟送达。"},
				Solve:   []string{"司机已将物品送还，您确认物品完好。本工单已完结，感谢您的耐心。"},
				Commit:  "{due}前回电确认物品是否已送还",
			},
			zhHant: {
				Subject: "物品遺落在車上（行程 {trip}）",
				First:   []string{"我剛下車把手機忘在後座，行程編號{trip}，車牌{plate}，司機電話打不通，我是借朋友手機聯絡你們的。"},
				Reply:   []string{"{cname}您好，請別著急，我是{agent}。我已透過平台隱私號碼聯絡司機，司機確認後座有一支手機，正在協調歸還時間與地點，不會洩露雙方號碼。"},
				Follow:  []string{"司機要收費才送過來，這樣合理嗎？"},
				Reply2:  []string{"平台規定司機可收取合理的返程費用，依里程計算，會從您的帳戶扣款，不需另外付現金給司機。"},
				Note:    []string{"已用隱私號聯絡司機。"},
				Solve:   []string{"司機已將手機送還，您也確認物品完好，感謝您的耐心等候。"},
				Commit:  "{due}前回電確認物品是否已送還",
			},
			en: {
				Subject: "Left my phone in the car – trip {trip}",
				First:   []string{"I left my phone on the back seat just now. Trip {trip}, plate {plate}. The driver doesn't answer; I'm writing from a friend's phone."},
				Reply:   []string{"Hi {cname}, don't worry – I'm {agent}. I've reached the driver through our masked-number line; he has found a phone on the back seat and we're arranging the return without sharing either number."},
				Follow:  []string{"The driver wants a fee to bring it back. Is that OK?"},
				Reply2:  []string{"Drivers may charge a return fee by distance, charged to your account – please don't pay cash."},
				Note:    []string{"Driver reached via masked line; return arranged for tonight."},
				Solve:   []string{"The driver has returned your phone and you confirmed it's fine. Thanks for your patience."},
				Commit:  "Call the customer back by {due} to confirm the item was returned",
			},
		},
	},
	{
		key: "ride_driver_complaint", org: "ride", category: "投诉", tags: []string{"投诉", "司机服务"}, channels: []kefu.Channel{kefu.ChannelApp, kefu.ChannelPhone, kefu.ChannelPhone}, weight: 3, priority: kefu.PriorityHigh,
		queue: "complaint", commit: kefu.CommitFollowUp, commitP: 0.8, action: kefu.ActionRestrictDriver, actionP: 0.4, dept: "pr", deptP: 0.05,
		text: map[string]lines{
			zhHans: {
				Subject: "投诉司机态度恶劣（行程 {trip}）",
				First:   []string{"司机全程打电话，我提醒他注意安全还骂我，到了目的地还不让我下车要我给好评！行程{trip}，车牌{plate}。", "司机抽烟还开窗，我说了他也不听，态度非常差，必须处理！行程{trip}。"},
				Reply:   []string{"{cname}您好，非常抱歉给您带来如此不好的体验。我是投诉专员{agent}，已调取行程录音，核实后会对司机严肃处理，并在{due}前给您处理结果。"},
				Follow:  []string{"我不要优惠券，我要你们把这个司机封掉。"},
				Reply2:  []string{"理解您的诉求。录音核实属实的话，平台会限制该司机接单，处理结果会在{due}前告知您。"},
				Note:    []string{"录音核实属实，司机已暂停接单，需发起限制账号审批。", "该司机30天内第二次被投诉。"},
				Solve:   []string{"经核实，司机存在服务不规范行为，平台已对其停止接单处理，并向您发放20元优惠券作为补偿。感谢您的监督。"},
				Commit:  "{due}前回复投诉处理结果",
			},
		},
	},
	{
		key: "ride_safety", org: "ride", category: "安全", tags: []string{"安全", "紧急"}, channels: []kefu.Channel{kefu.ChannelApp, kefu.ChannelChat, kefu.ChannelPhone}, weight: 0.6, priority: kefu.PriorityEmergency,
		queue: "safety", action: kefu.ActionRestrictDriver, actionP: 0.8,
		text: map[string]lines{
			zhHans: {
				Subject: "【紧急】乘客求助（行程 {trip}）",
				First:   []string{"救命，司机不按导航走，往郊区开了，车门打不开！", "司机好像喝酒了，开得很快，我很害怕，行程{trip}。", "司机一直对我说奇怪的话，还要加我微信，我想马上下车。"},
				Reply:   []string{"我是华联出行安全专员{agent}，已收到您的求助。我们已定位您的行程，正在联系司机并同步报警，请保持手机畅通，如有危险请立即拨打110。"},
				Follow:  []string{"我已经下车了，现在在路边。"},
				Reply2:  []string{"收到，请您在明亮人多的地方等候，我们会一直在线，民警已在赶来路上。"},
				Note:    []string{"已联系司机，司机称导航故障；已拨打110报备，行程轨迹实时监控中。", "乘客已安全下车，确认人身无碍，司机账号已冻结待调查。"},
				Solve:   []string{"乘客已安全到达，司机账号已冻结，事件已移交安全调查组。"},
			},
			en: {
				Subject: "[URGENT] Passenger needs help – trip {trip}",
				First:   []string{"Help! The driver is not following the route and won't let me out!"},
				Reply:   []string{"This is {agent} from Hualian Mobility safety. We have your trip location, we're contacting the driver and alerting the police. Keep your phone on; if you are in danger call 110 now."},
				Follow:  []string{"I'm out of the car now, standing by the road."},
				Reply2:  []string{"Good. Please wait somewhere bright and busy; we stay on the line and the police are on their way."},
				Note:    []string{"Police informed; trip tracked live. Driver account frozen."},
				Solve:   []string{"The passenger arrived safely; the driver's account is suspended pending investigation."},
			},
		},
	},
	{
		key: "ride_cancel_fee", org: "ride", category: "退款", tags: []string{"取消费", "退款"}, channels: appLike, weight: 4, priority: kefu.PriorityLow,
		action: kefu.ActionRefund, amount: [2]int{5, 30}, actionP: 0.95,
		text: map[string]lines{
			zhHans: {
				Subject: "取消订单被收取取消费，申请退款",
				First:   []string{"司机一直不动，我等了十分钟才取消，结果扣了我{amount}元取消费，这不合理吧？"},
				Reply:   []string{"{cname}您好，核实到司机接单后长时间未移动，本次取消属于司机责任，取消费{amount}元将全额退款。"},
				Follow:  []string{"好的，谢谢。"},
				Reply2:  []string{"不客气，祝您出行愉快。"},
				Note:    []string{"司机定位10分钟未移动，判责司机。"},
				Solve:   []string{"取消费{amount}元已退款，感谢您的反馈。"},
			},
		},
	},
	{
		key: "premier_invoice", org: "premier", category: "发票", tags: []string{"企业用车", "发票"}, channels: []kefu.Channel{kefu.ChannelEmail}, weight: 2, company: true,
		dept: "finance", deptP: 0.4, commit: kefu.CommitFollowUp, commitP: 0.5,
		text: map[string]lines{
			zhHans: {
				Subject: "企业用车月度发票开具（{company}）",
				First:   []string{"您好，我司（{company}）上月企业用车费用共{amount}元，请开具增值税专用发票，开票信息见附件。"},
				Reply:   []string{"{cname}您好，已收到贵司开票申请，财务部将在{due}前开具专票并快递寄出。"},
				Follow:  []string{"能否先发电子版给我们报销？"},
				Reply2:  []string{"可以，电子版开具后会先发送到您的邮箱。"},
				Note:    []string{"KA客户，月结账期30天。"},
				Solve:   []string{"专票已开具并寄出，快递单号SF{digits}，请注意查收。"},
				Commit:  "{due}前开具并寄出专用发票",
			},
			en: {
				Subject: "Monthly corporate ride invoice ({company})",
				First:   []string{"Hello, please issue a VAT special invoice for {company}'s corporate rides last month, total CNY {amount}. Billing details attached."},
				Reply:   []string{"Hi {cname}, we've received your request; Finance will issue the invoice and courier it by {due}."},
				Follow:  []string{"Could you email a PDF copy first?"},
				Reply2:  []string{"Sure, the PDF will be emailed as soon as it's issued."},
				Note:    []string{"KA account, 30-day terms."},
				Solve:   []string{"The invoice has been issued and sent by SF Express, tracking SF{digits}."},
				Commit:  "Issue and post the VAT invoice by {due}",
			},
		},
	},
	{
		key: "bank_corporate", org: "bank", category: "账户", tags: []string{"对公", "网银"}, channels: []kefu.Channel{kefu.ChannelPhone, kefu.ChannelEmail}, weight: 2, company: true, priority: kefu.PriorityHigh,
		commit: kefu.CommitCallback, commitP: 0.5,
		text: map[string]lines{
			zhHans: {
				Subject: "企业网银U盾失效，无法付款（{company}）",
				First:   []string{"我们公司（{company}）的企业网银U盾今天提示证书过期，今天有一笔{amount}元的货款必须付出去，怎么办？"},
				Reply:   []string{"{cname}您好，已为贵司加急办理证书更新，客户经理会在{due}前回电协助完成付款。"},
				Follow:  []string{"能不能先安排柜面付款？"},
				Reply2:  []string{"可以，已通知就近网点为贵司开通绿色通道。"},
				Note:    []string{"KA对公客户，客户经理已知悉。"},
				Solve:   []string{"证书已更新，贵司付款已成功，感谢您的理解。"},
				Commit:  "{due}前由客户经理回电协助付款",
			},
		},
	},
	{
		key: "ins_claim_complaint", org: "ins", category: "投诉", tags: []string{"投诉", "理赔时效"}, channels: []kefu.Channel{kefu.ChannelPhone, kefu.ChannelEmail}, weight: 2, priority: kefu.PriorityHigh,
		queue: "complaint", commit: kefu.CommitExpedite, commitP: 0.8, dept: "legal", deptP: 0.2,
		text: map[string]lines{
			zhHans: {
				Subject: "投诉：理赔拖了一个多月（报案号 {claim}）",
				First:   []string{"我的理赔报案一个多月了，每次打电话都说在处理，没人给我一个明确答复，再不处理我就投诉到金融监管局！"},
				Reply:   []string{"{cname}您好，我是投诉岗专员{agent}，非常抱歉让您久等。您的案件已由我全程负责，我会在{due}前给您明确的处理结果。"},
				Follow:  []string{"你们每次都这么说。"},
				Reply2:  []string{"这次不一样：案件已加急并由我负责跟进，{due}前无论进展如何我都会主动联系您。"},
				Note:    []string{"案件卡在第三方公估环节，已联系公估公司加急；客户情绪激动，注意沟通方式。", "法务提示：客户提及监管投诉，需留存全部沟通记录。"},
				Solve:   []string{"{cname}您好，您的理赔已完成赔付{amount}元，对此前的拖延再次致歉，我们已对处理流程进行整改。"},
				Commit:  "加急：{due}前给出理赔结果",
			},
		},
	},
	{
		key: "media_threat", org: "shop", category: "投诉", tags: []string{"投诉", "舆情"}, channels: []kefu.Channel{kefu.ChannelEmail, kefu.ChannelApp}, weight: 1, priority: kefu.PriorityUrgent,
		queue: "complaint", dept: "pr", deptP: 0.8, commit: kefu.CommitFollowUp, commitP: 0.6,
		text: map[string]lines{
			zhHans: {
				Subject: "再不解决我就发微博曝光（订单 {order}）",
				First:   []string{"订单{order}退款拖了两周，客服每次都说在处理。再不解决我就发微博和抖音曝光你们！"},
				Reply:   []string{"{cname}您好，非常抱歉让您有这样的经历，我是{agent}，已将您的问题升级处理，{due}前一定给您明确答复。"},
				Follow:  []string{"我等到明天，明天还不行我就发。"},
				Reply2:  []string{"明白，我已经和财务确认，今天内处理。"},
				Note:    []string{"客户有舆情风险，已抄送公关部。"},
				Solve:   []string{"退款已完成，并已向客户致歉，客户表示接受。"},
				Commit:  "{due}前给客户明确答复",
			},
		},
	},
	{
		key: "product_feedback", org: "ride", category: "建议", tags: []string{"产品建议"}, channels: []kefu.Channel{kefu.ChannelApp, kefu.ChannelEmail, kefu.ChannelForm}, weight: 2, priority: kefu.PriorityLow,
		dept: "product", deptP: 0.6,
		text: map[string]lines{
			zhHans: {
				Subject: "App建议：希望增加深色模式",
				First:   []string{"华联出行App晚上用太刺眼了，希望能加个深色模式。", "建议行程分享功能可以同时分享给两个紧急联系人。"},
				Reply:   []string{"{cname}您好，感谢您的建议！已转交产品部门评估。"},
				Follow:  []string{"大概什么时候能上线？"},
				Reply2:  []string{"具体时间以产品排期为准，上线后会通过App通知您。"},
				Note:    []string{"同类建议本月第12次。"},
				Solve:   []string{"产品部门已收到您的建议并纳入后续版本规划，感谢您的支持！"},
			},
			en: {
				Subject: "App suggestion: dark mode please",
				First:   []string{"The Hualian Mobility app is far too bright at night. Please add a dark mode."},
				Reply:   []string{"Hi {cname}, thanks for the suggestion! I've passed it to our product team."},
				Follow:  []string{"Any idea when?"},
				Reply2:  []string{"It depends on the roadmap; you'll get an in-app notice when it ships."},
				Note:    []string{"12th dark-mode request this month."},
				Solve:   []string{"The product team has added your suggestion to the roadmap. Thank you!"},
			},
		},
	},
}

// northwindScenarios are the outsourcing client's problems (a Taiwanese
// online retailer, served mostly in English and Traditional Chinese).
var northwindScenarios = []scenario{
	{
		key: "nw_refund", org: "nw", category: "Refund", tags: []string{"refund"}, channels: []kefu.Channel{kefu.ChannelEmail, kefu.ChannelChat, kefu.ChannelForm}, weight: 5,
		commit: kefu.CommitRefund, commitP: 0.5, action: kefu.ActionRefund, amount: [2]int{290, 4800}, actionP: 0.6, dept: "finance", deptP: 0.15,
		text: map[string]lines{
			en: {
				Subject: "Refund for order {order}",
				First:   []string{"Hi, I sent back order {order} a week ago and still no refund of NT${amount}. Please check.", "I cancelled order {order} before it shipped. Where is my refund?"},
				Reply:   []string{"Hi {cname}, this is {agent} from Northwind support. I can see the return for {order}; the refund of NT${amount} is being processed."},
				Follow:  []string{"How long will it take?"},
				Reply2:  []string{"It will be back on your card by {due}. You'll get an email confirmation."},
				Note:    []string{"Return received at Taoyuan warehouse, QC passed."},
				Solve:   []string{"Hi {cname}, your refund of NT${amount} has been issued. Thanks for shopping with Northwind!"},
				Commit:  "Refund NT${amount} by {due}",
			},
			zhHant: {
				Subject: "訂單 {order} 退款",
				First:   []string{"您好，訂單{order}一週前已退貨，退款NT${amount}還沒收到，麻煩查詢。"},
				Reply:   []string{"{cname}您好，我是Northwind客服{agent}，已查到訂單{order}的退貨，退款NT${amount}處理中。"},
				Follow:  []string{"請問多久會入帳？"},
				Reply2:  []string{"將於{due}前退回您的信用卡，屆時會寄送確認信。"},
				Note:    []string{"桃園倉已收到退貨。"},
				Solve:   []string{"{cname}您好，退款NT${amount}已完成，感謝您的支持！"},
				Commit:  "{due}前退款NT${amount}",
			},
		},
	},
	{
		key: "nw_delivery", org: "nw", category: "Delivery", tags: []string{"delivery"}, channels: []kefu.Channel{kefu.ChannelChat, kefu.ChannelEmail}, weight: 5,
		dept: "warehouse", deptP: 0.35, commit: kefu.CommitFollowUp, commitP: 0.3,
		text: map[string]lines{
			en: {
				Subject: "Where is my order {order}?",
				First:   []string{"My order {order} was supposed to arrive on {date}. Tracking hasn't updated since. Where is it?"},
				Reply:   []string{"Hi {cname}, I'm {agent}. I've asked the warehouse about {order}; it looks like the carrier missed a scan."},
				Follow:  []string{"Any news?"},
				Reply2:  []string{"The carrier confirmed it's out for delivery; it should reach you by {due}."},
				Note:    []string{"Carrier: Black Cat; missed scan at Hsinchu hub."},
				Solve:   []string{"Hi {cname}, the order has been delivered. Enjoy!"},
				Commit:  "Confirm delivery of {order} by {due}",
			},
			zhHant: {
				Subject: "訂單 {order} 還沒收到",
				First:   []string{"訂單{order}原本{date}要送到，物流一直沒更新，請問包裹在哪裡？"},
				Reply:   []string{"{cname}您好，我是{agent}，已請倉庫查詢訂單{order}，物流商漏掃描，正在追蹤。"},
				Follow:  []string{"請問有進度了嗎？"},
				Reply2:  []string{"物流商確認已在配送中，預計{due}前送達。"},
				Note:    []string{"黑貓新竹轉運站漏掃。"},
				Solve:   []string{"{cname}您好，包裹已送達，祝您購物愉快！"},
				Commit:  "{due}前確認訂單{order}送達",
			},
		},
	},
	{
		key: "nw_damaged", org: "nw", category: "Damaged item", tags: []string{"damaged"}, channels: []kefu.Channel{kefu.ChannelEmail, kefu.ChannelForm}, weight: 3,
		action: kefu.ActionRefund, amount: [2]int{390, 2600}, actionP: 0.5,
		text: map[string]lines{
			en: {
				Subject: "Item arrived damaged – order {order}",
				First:   []string{"The kettle from order {order} arrived with a cracked lid. Photos attached."},
				Reply:   []string{"Hi {cname}, sorry about that! I'm {agent}; we'll send a replacement or refund NT${amount}, whichever you prefer."},
				Follow:  []string{"A refund please."},
				Reply2:  []string{"Done – the refund is on its way."},
				Note:    []string{"Packaging issue reported to the warehouse."},
				Solve:   []string{"Refund of NT${amount} issued. No need to return the damaged item."},
			},
		},
	},
	{
		key: "nw_promo", org: "nw", category: "Promotion", tags: []string{"promo"}, channels: []kefu.Channel{kefu.ChannelChat}, weight: 2, priority: kefu.PriorityLow,
		text: map[string]lines{
			en: {
				Subject: "Promo code not working",
				First:   []string{"The code WELCOME10 says it's invalid at checkout."},
				Reply:   []string{"Hi {cname}, that code is for first orders only; I've applied a one-time 10% code to your account instead."},
				Follow:  []string{"Thanks!"},
				Reply2:  []string{"You're welcome!"},
				Note:    []string{"Goodwill code issued."},
				Solve:   []string{"Glad we could help – happy shopping!"},
			},
			zhHant: {
				Subject: "優惠碼無法使用",
				First:   []string{"結帳時輸入優惠碼WELCOME10一直顯示無效。"},
				Reply:   []string{"{cname}您好，此優惠碼僅限首購使用，已為您帳戶加上一次性九折優惠。"},
				Follow:  []string{"謝謝！"},
				Reply2:  []string{"不客氣！"},
				Note:    []string{"已發放補償優惠碼。"},
				Solve:   []string{"很高興能幫上忙，祝您購物愉快！"},
			},
		},
	},
	{
		key: "nw_account", org: "nw", category: "Account", tags: []string{"account"}, channels: []kefu.Channel{kefu.ChannelChat, kefu.ChannelEmail}, weight: 2, priority: kefu.PriorityLow,
		text: map[string]lines{
			en: {
				Subject: "Can't reset my password",
				First:   []string{"I never receive the password reset email."},
				Reply:   []string{"Hi {cname}, the reset emails were going to spam for some providers. I've sent a new link; please check your spam folder."},
				Follow:  []string{"Got it, thanks."},
				Reply2:  []string{"Great!"},
				Note:    []string{"Known deliverability issue."},
				Solve:   []string{"Password reset completed."},
			},
		},
	},
}

// generic phrases used by every scenario, by language.
type phrases struct {
	ask, supply, thanks, slip, forward string
	noReply, refusedMsg                string
	deptDone                           map[string]string // by department key
	approved, refused                  string
}

var common = map[string]phrases{
	zhHans: {
		ask:        "为了进一步核实，麻烦您补充一下相关截图或凭证，收到后我马上为您处理。",
		supply:     "已经发了，截图在附件里，请查收。",
		thanks:     "好的，谢谢！",
		slip:       "{cname}您好，非常抱歉，原定{due}前完成的事项未能按时完成，原因是审核环节积压。我们已经加急处理，会尽快给您结果，给您带来不便深表歉意。",
		forward:    "客户较急，请在截止时间前回复处理结果。",
		noReply:    "{cname}您好，由于一直没有收到您的回复，本工单先为您结案。如问题仍未解决，直接回复即可重新打开，我们会继续为您处理。",
		refusedMsg: "{cname}您好，很抱歉，经审核您的申请暂不符合政策，我们为您申请了一张优惠券作为补偿，感谢您的理解。",
		deptDone: map[string]string{
			"finance":   "【财务部】已审核通过，款项今日原路退回。",
			"logistics": "【物流部】已联系网点，包裹已重新派送。",
			"legal":     "【法务部】已审阅，可按条款办理，无法律风险。",
			"product":   "【产品部】已确认问题，已排入下个版本修复。",
			"pr":        "【公关部】已知悉，请优先安抚客户，公关部持续监测舆情。",
		},
		approved: "同意，按规定执行。",
		refused:  "不同意：不符合政策，请与客户沟通其他方案。",
	},
	zhHant: {
		ask:        "為了進一步確認，麻煩您補充相關截圖或憑證，收到後我馬上為您處理。",
		supply:     "已經傳了，截圖在附件，請查收。",
		thanks:     "好的，謝謝！",
		slip:       "{cname}您好，非常抱歉，原定{due}前完成的事項未能如期完成，我們已加急處理，會盡快給您結果，造成不便深感抱歉。",
		forward:    "客戶很急，請在期限前回覆。",
		noReply:    "{cname}您好，由於一直沒有收到您的回覆，本案件先為您結案。如問題仍未解決，直接回覆即可重新開啟。",
		refusedMsg: "{cname}您好，很抱歉，經審核您的申請不符合規定，我們為您提供一張優惠券作為補償，感謝您的體諒。",
		deptDone: map[string]string{
			"finance":   "【財務部】已審核通過，款項今日退回。",
			"logistics": "【物流部】已聯絡站所，包裹重新配送。",
			"legal":     "【法務部】已審閱，可依條款辦理。",
			"product":   "【產品部】已確認問題，排入下個版本修正。",
			"pr":        "【公關部】已知悉。",
			"warehouse": "【倉庫】已重新出貨。",
		},
		approved: "同意，依規定辦理。",
		refused:  "不同意：不符合政策。",
	},
	en: {
		ask:        "To check further, could you send a screenshot or receipt? I'll handle it as soon as I have it.",
		supply:     "Sent – the screenshot is attached.",
		thanks:     "Great, thanks!",
		slip:       "Hi {cname}, I'm sorry: what we promised for {due} is not done yet because of a backlog in review. It has been expedited and I'll update you as soon as it's through.",
		forward:    "Customer is waiting; please answer before the deadline.",
		noReply:    "Hi {cname}, as we haven't heard back from you we're closing this request for now. Just reply to reopen it if you still need help.",
		refusedMsg: "Hi {cname}, I'm sorry: after review your request falls outside our policy. We've added a voucher to your account as a goodwill gesture.",
		deptDone: map[string]string{
			"finance":   "[Finance] Approved; the money goes back today.",
			"logistics": "[Logistics] Depot contacted; parcel re-dispatched.",
			"legal":     "[Legal] Reviewed; OK to proceed under the terms.",
			"product":   "[Product] Confirmed; fix scheduled for the next release.",
			"pr":        "[PR] Noted; monitoring social media.",
			"warehouse": "[Warehouse] Re-shipped today.",
		},
		approved: "Approved per policy.",
		refused:  "Refused: outside policy; please offer an alternative.",
	},
}
