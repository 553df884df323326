package i18n

import "testing"

func TestCatalogsComplete(t *testing.T) {
	for _, l := range Supported {
		for k := range catalogs[En] {
			if _, ok := catalogs[l][k]; !ok {
				t.Errorf("%s lacks %q", l, k)
			}
		}
		if len(catalogs[l]) != len(catalogs[En]) {
			t.Errorf("%s has %d keys, en has %d", l, len(catalogs[l]), len(catalogs[En]))
		}
	}
}

func TestAcceptLanguage(t *testing.T) {
	cases := map[string]Lang{
		"zh-TW,zh;q=0.9,en;q=0.8": ZhHant,
		"zh-CN":                   ZhHans,
		"en-US,en;q=0.9":          En,
		"fr-FR, en;q=0.5":         En,
		"de":                      ZhHans,
		"":                        ZhHans,
		"en;q=0.3, zh-Hant;q=0.9": ZhHant,
	}
	for h, want := range cases {
		if got := FromAcceptLanguage(h, ZhHans); got != want {
			t.Errorf("%q → %s, want %s", h, got, want)
		}
	}
	if T(ZhHant, "ui.sign_in") != "登入" || T(En, "missing.key") != "missing.key" {
		t.Fatal("T")
	}
}

// Or is what kefu's own texts use: any Chinese or English tag to one of the
// three, anything else to the fallback.
func TestOr(t *testing.T) {
	for tag, want := range map[string]Lang{"zh-TW": ZhHant, "zh-Hant-HK": ZhHant, "zh-MO": ZhHant, "zh-CN": ZhHans, "zh": ZhHans,
		"en-AU": En, "EN": En, "": ZhHans, "fr-FR": ZhHans, " zh-hk ": ZhHant} {
		if got := Or(tag, ZhHans); got != want {
			t.Errorf("Or(%q) = %s, want %s", tag, got, want)
		}
	}
}
