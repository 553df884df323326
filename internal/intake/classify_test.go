package intake

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/signature"
)

func TestLanguage(t *testing.T) {
	cases := []struct{ text, want string }{
		{"我的快递三天了还没收到", "zh-Hans"},
		{"我的包裹還沒收到，請幫我查一下", "zh-Hant"},
		{"我個帳號被鎖咗，點樣解鎖呀", "zh-Hant"},
		{"My parcel has not arrived after three days", "en"},
		{"订单 SF1234567890 的 iPhone 15 Pro 还没发货", "zh-Hans"},
		{"荷物がまだ届きません", "ja"},
		{"택배가 아직 안 왔어요", "ko"},
		{"12345 !!!", ""},
		{"", ""},
	}
	for _, c := range cases {
		if got := Language(c.text); got != c.want {
			t.Errorf("Language(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestClassify(t *testing.T) {
	c := NewClassifier(nil)
	cases := []struct{ text, category, language string }{
		{"我要退款，钱什么时候退回来", "refund", "zh-Hans"},
		{"我的包裹還沒收到，快遞說已經派送", "delivery", "zh-Hant"},
		{"I was charged twice for one order, the payment shows double charge", "payment", "en"},
		{"手机落在车上了，想联系司机", "lost_item", "zh-Hans"},
		{"登录不了，验证码一直收不到", "account", "zh-Hans"},
		{"你们客服态度太差了，我要投诉", "complaint", "zh-Hans"},
		{"你好", "", "zh-Hans"},
	}
	for _, k := range cases {
		got := c.Classify(k.text)
		if got.Category != k.category || got.Language != k.language || got.Why == "" {
			t.Errorf("Classify(%q) = %+v, want %s/%s", k.text, got, k.category, k.language)
		}
	}
	// Inspect, which normalizes once for both, decides as the two do alone.
	for _, k := range cases {
		v, cl := Default().Inspect(k.text)
		if !reflect.DeepEqual(v, Default().Screener.Screen(k.text)) || cl != c.Classify(k.text) {
			t.Errorf("Inspect(%q) differs from Screen and Classify", k.text)
		}
	}
	// A tenant's own categories replace the built-in ones.
	mine := NewClassifier([]TicketCategory{{Code: "claims", Terms: []string{"理赔", "claim"}}})
	if got := mine.Classify("我的理赔进度怎么样"); got.Category != "claims" {
		t.Fatalf("tenant category: %+v", got)
	}
	if got := mine.Classify("我要退款"); got.Category != "" {
		t.Fatalf("built-in categories still applied: %+v", got)
	}
}

func TestRulesCompileNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		rules Rules
		field string
	}{
		{"threshold", Rules{Threshold: -1}, "threshold"},
		{"cue name", Rules{Cues: []Category{{Kind: "fire", Weight: 3, Terms: []string{"x"}}}}, "cues[0].name"},
		{"cue weight", Rules{Cues: []Category{{Name: "a", Kind: "fire", Terms: []string{"x"}}}}, "cues[0].weight"},
		{"cue kind", Rules{Cues: []Category{{Name: "a", Weight: 3, Terms: []string{"x"}}}}, "cues[0].kind"},
		{"cue terms", Rules{Cues: []Category{{Name: "a", Kind: "fire", Weight: 3, Terms: []string{"!!"}}}}, "cues[0].terms"},
		{"category code", Rules{Categories: []TicketCategory{{Terms: []string{"x"}}}}, "categories[0].code"},
		{"category twice", Rules{Categories: []TicketCategory{{Code: "a", Terms: []string{"x"}}, {Code: "a", Terms: []string{"y"}}}}, "categories[1].code"},
		{"classifier url", Rules{Classifier: &Hook{URL: "ftp://x"}}, "classifier.url"},
		{"classifier plain http", Rules{Classifier: &Hook{URL: "http://10.0.0.5/screen", Secret: "0123456789abcdef"}}, "classifier.url"},
		{"classifier secret", Rules{Classifier: &Hook{URL: "https://x.test/", Secret: "short"}}, "classifier.secret"},
		{"classifier timeout", Rules{Classifier: &Hook{URL: "https://x.test/", Secret: "0123456789abcdef", TimeoutMS: 5000}}, "classifier.timeout_ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.rules.Compile()
			var e *kefu.Error
			if !errors.As(err, &e) || e.Fields[c.field] == "" {
				t.Fatalf("want an error naming %s, got %v", c.field, err)
			}
		})
	}
}

// A tenant's cue makes its own words an emergency; a negative cue keeps a
// harmless phrase of its business out.
func TestTenantCues(t *testing.T) {
	base, err := Rules{}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if v := base.Screener.Screen("我看到红色雨伞了"); v.Emergency {
		t.Fatalf("the built-in screening already flags the tenant's code word: %+v", v)
	}
	r, err := Rules{Cues: []Category{{Name: "code_word", Kind: "kidnapping", Weight: 5, Terms: []string{"红色雨伞"}}}}.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if v := r.Screener.Screen("我看到紅色雨傘了"); !v.Emergency || v.Kind != "kidnapping" {
		t.Fatalf("the tenant's cue (traditional form) is not screened in: %+v", v)
	}
}

func TestHookAsk(t *testing.T) {
	const secret = "s3cret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ TenantID, Text string }
		body := make([]byte, r.ContentLength)
		r.Body.Read(body)
		ts, _ := strconv.ParseInt(r.Header.Get("X-Kefu-Timestamp"), 10, 64)
		if err := signature.Verify(secret, r.Header.Get("X-Kefu-Signature"), ts, body, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), 401)
			return
		}
		json.Unmarshal(body, &in)
		switch {
		case strings.Contains(in.Text, "slow"):
			time.Sleep(300 * time.Millisecond)
		case strings.Contains(in.Text, "garbage"):
			w.Write([]byte("<html>"))
			return
		case strings.Contains(in.Text, "odd kind"):
			json.NewEncoder(w).Encode(Verdict{Emergency: true, Kind: "<script>" + strings.Repeat("x", 5000), Reason: strings.Repeat("长", 900)})
			return
		}
		json.NewEncoder(w).Encode(Verdict{Emergency: strings.Contains(in.Text, "暗号"), Kind: "kidnapping", Score: 0.9, Reason: "code phrase"})
	}))
	defer srv.Close()
	h := Hook{URL: srv.URL, Secret: secret, TimeoutMS: 100}
	v, err := h.Ask(context.Background(), srv.Client(), time.Now(), "t1", "暗号：红色雨伞")
	if err != nil || !v.Emergency || v.Kind != "kidnapping" {
		t.Fatalf("ask: %+v %v", v, err)
	}
	if v, err := h.Ask(context.Background(), srv.Client(), time.Now(), "t1", "hello"); err != nil || v.Emergency {
		t.Fatalf("no emergency: %+v %v", v, err)
	}
	start := time.Now()
	if _, err := h.Ask(context.Background(), srv.Client(), time.Now(), "t1", "slow"); err == nil || time.Since(start) > 250*time.Millisecond {
		t.Fatalf("timeout not kept: %v after %v", err, time.Since(start))
	}
	if _, err := h.Ask(context.Background(), srv.Client(), time.Now(), "t1", "garbage"); !errors.Is(err, ErrClassifierAnswer) {
		t.Fatalf("a non-verdict answer: %v", err)
	}
	if v, err := h.Ask(context.Background(), srv.Client(), time.Now(), "t1", "odd kind"); err != nil || v.Kind != "danger_situation" || len([]rune(v.Reason)) != 501 {
		t.Fatalf("an odd kind and a long reason are not tamed: %q %d %v", v.Kind, len([]rune(v.Reason)), err)
	}
	// What a failure says is safe to show agents: never the URL or what
	// the far side answered.
	closed := Hook{URL: "http://127.0.0.1:1/screen?token=QSECRET", Secret: secret}
	if _, err := closed.Ask(context.Background(), srv.Client(), time.Now(), "t1", "x"); !errors.Is(err, ErrClassifierConnect) || strings.Contains(err.Error(), "QSECRET") {
		t.Fatalf("a refused connection: %v", err)
	}
	bad := Hook{URL: srv.URL, Secret: "wrong"}
	if _, err := bad.Ask(context.Background(), srv.Client(), time.Now(), "t1", "x"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("a refused signature: %v", err)
	}
	// The secret is never shown, and saving back what was shown keeps it.
	r := Rules{Classifier: &h}
	shown := r.Redacted()
	if shown.Classifier.Secret != "[redacted]" || h.Secret != secret {
		t.Fatalf("redaction: %+v / %+v", shown.Classifier, h)
	}
	if back := shown.WithSecretFrom(r); back.Classifier.Secret != secret {
		t.Fatalf("secret lost on save-back: %+v", back.Classifier)
	}
}

// BenchmarkInspect: what intake's own code costs a message besides the
// store: screening plus category and language.
//
//	go test ./internal/intake -run XXX -bench Inspect
func BenchmarkInspect(b *testing.B) {
	r, err := Rules{}.Compile()
	if err != nil {
		b.Fatal(err)
	}
	msgs := []string{"您好，请帮我查询一下订单状态，谢谢。", "the driver keeps driving somewhere remote and my phone is dying",
		"救命啊这价格太贵了", "我的退款什么时候到账？订单号 A1234567，已经等了一个星期了，麻烦尽快处理", "我的包裹還沒收到，快遞說已經派送"}
	b.ReportAllocs()
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		r.Inspect(msgs[i%len(msgs)])
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
}
