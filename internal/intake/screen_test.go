package intake

import (
	"slices"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"救命！！他拿著刀", "救命 他拿着刀"},
		{"電子鎖失靈，細路喺屋企", "电子锁失灵 细路喺屋企"},
		{"ＨＥＬＰ   me!!!", "help me"},
		{"  on—fire  ", "on fire"},
	} {
		if got := Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestScreenExamplesFromTheIssue(t *testing.T) {
	s := DefaultScreener()
	for _, c := range []struct {
		text string
		want bool
		kind string
	}{
		{"救命啊这价格太贵了", false, ""},
		{"this app is killing me", false, ""},
		{"快递被困在转运中心", false, ""},
		{"救命 司机拿着刀不让我下车", true, ""},
		{"the driver keeps driving somewhere remote and my phone is dying", true, "danger_situation"},
		{"家里一股煤气味，我妈晕倒了", true, ""},
		{"樓下餐廳燒起來了，煙一直往上衝", true, "fire"},
		{"I want to end my life tonight", true, "self_harm"},
		{"my baby is locked in the car and it's 38 degrees", true, "child_locked"},
		{"燃气费怎么交", false, ""},
		{"菜刀什么时候发货", false, ""},
		// Negation, past events and other people's stories.
		{"上周有个小剐蹭，没有人受伤，想问理赔", false, ""},
		{"the accident was minor, no one was hurt, how do I claim", false, ""},
		{"刚才出车祸了，我朋友受伤了一直流血", true, "accident_injury"},
		{"I read about a fire downtown in the news, will my order be late", false, ""},
	} {
		v := s.Screen(c.text)
		if v.Emergency != c.want || (c.kind != "" && v.Kind != c.kind) {
			t.Errorf("%q: %+v", c.text, v)
		}
		if v.Reason == "" {
			t.Errorf("%q: no reason", c.text)
		}
	}
}

func TestNegation(t *testing.T) {
	s, err := NewScreener(Lexicon{Threshold: 1, Negators: []string{"没有", "no one"}, NegationWindow: 9,
		Categories: []Category{{Name: "injury", Kind: "accident_injury", Weight: 1, Terms: []string{"受伤", "hurt"}, Negatable: true}}})
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]bool{
		"没有人受伤":           false,
		"no one was hurt": false,
		"我受伤了":            true,
		"he got hurt":     true,
		"没有人受伤，但是司机受伤了":                    true, // a later occurrence is not negated
		"no one came to help and I'm hurt": true, // the negator is too far before
	} {
		if v := s.Screen(text); v.Emergency != want {
			t.Errorf("%q: %+v", text, v)
		}
	}
}

func TestWholeWordsInEnglish(t *testing.T) {
	s, _ := NewScreener(Lexicon{Threshold: 1, Categories: []Category{{Name: "w", Kind: "weapon", Weight: 1, Terms: []string{"gun"}}}})
	if s.Screen("the show has begun").Emergency || !s.Screen("he has a GUN!").Emergency {
		t.Fatal("whole-word matching")
	}
}

func TestLexiconIsChecked(t *testing.T) {
	for name, l := range map[string]Lexicon{
		"no threshold":     {Categories: []Category{{Name: "a", Weight: 1, Terms: []string{"x"}}}},
		"no name":          {Threshold: 1, Categories: []Category{{Weight: 1, Terms: []string{"x"}}}},
		"twice":            {Threshold: 1, Categories: []Category{{Name: "a", Terms: []string{"x"}}, {Name: "a", Terms: []string{"y"}}}},
		"empty term":       {Threshold: 1, Categories: []Category{{Name: "a", Terms: []string{"!!"}}}},
		"unknown in combo": {Threshold: 1, Categories: []Category{{Name: "a", Terms: []string{"x"}}}, Combinations: []Combination{{All: []string{"a", "b"}}}},
	} {
		if _, err := NewScreener(l); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzScreen(f *testing.F) {
	s := DefaultScreener()
	threshold := DefaultLexicon().Threshold
	for _, seed := range []string{"救命", "help me", "", "\xff\xfe", "ＡＢＣ刀", "a\u0301gun"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v := s.Screen(text)
		if v.Emergency != (v.Score >= threshold) || (v.Emergency && v.Kind == "none") || v.Reason == "" {
			t.Fatalf("inconsistent verdict %+v", v)
		}
	})
}

// BenchmarkScreen: one message through the built-in lexicon and model.
//
//	go test ./internal/intake -run XXX -bench Screen
func BenchmarkScreen(b *testing.B) {
	s := DefaultScreener()
	msgs := []string{"您好，请帮我查询一下订单状态，谢谢。", "the driver keeps driving somewhere remote and my phone is dying",
		"救命啊这价格太贵了", "我的退款什么时候到账？订单号 A1234567，已经等了一个星期了，麻烦尽快处理"}
	b.ReportAllocs()
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		s.Screen(msgs[i%len(msgs)])
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)*99/100].Nanoseconds()), "p99-ns")
}
