package intake

import "testing"

func TestSameMatter(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"订单 A1234567 的退款还没到账", "我的退款到底什么时候到？单号a1234567", true},                      // same reference, any case
		{"order #88123456 arrived broken", "refund for order 88123456 please", true}, // same reference
		{"订单 A1234567 退款", "订单 B7654321 退款", false},                                  // different references
		{"我的手机号13800001111，退款还没到账", "换货申请，手机号13800001111", false},                    // a phone number is not a matter
		{"2026-11-11 买的空气炸锅坏了", "2026-11-11 的优惠券用不了", false},                         // nor is a date
		{"空气炸锅用了两天就不加热了，要求换货", "上周买的空气炸锅不加热，换货怎么还没处理", true},                         // similar words
		{"the courier left my parcel at the wrong address", "parcel delivered to the wrong address by courier", true},
		{"the courier left my parcel at the wrong address", "how do I change my account password", false},
		{"你好", "你好", false}, // too little to compare
	} {
		got, why := SameMatter(MatterOf(c.a), MatterOf(c.b))
		if got != c.want {
			t.Errorf("%q vs %q: %v (%s), want %v", c.a, c.b, got, why, c.want)
		}
	}
}

func TestClaimsRepeat(t *testing.T) {
	for text, want := range map[string]bool{
		"这是我第三次问了，退款到底什么时候到":                                true,
		"又來問了，還是沒有回覆":                                       true,
		"This is the third time I'm asking about my refund": true,
		"still no reply after a week":                       true,
		"我想问一下退款进度":                                         false,
		"the third item in my order is missing":             false,
	} {
		if ClaimsRepeat(text) != want {
			t.Errorf("%q: want %v", text, want)
		}
	}
}
