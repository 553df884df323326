package intake

import (
	"testing"
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
	for _, seed := range []string{"救命", "help me", "", "\xff\xfe", "ＡＢＣ刀", "a\u0301gun"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		v := s.Screen(text)
		if (v.Score >= 1.0 && !v.Emergency) || (v.Emergency && v.Kind == "none") || v.Reason == "" {
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
	for i := 0; b.Loop(); i++ {
		s.Screen(msgs[i%len(msgs)])
	}
}
