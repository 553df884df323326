package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every error code the code base answers with has its message in all
// three languages: a new code without one would reach a Chinese user in
// English.
func TestEveryErrorCodeHasAMessage(t *testing.T) {
	re := regexp.MustCompile(`kefu\.(Conflict|Forbidden|Invalid|Unavailable)\("([a-z_]+)"`)
	missing := map[string]string{}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if !Has("err." + m[2]) {
				missing[m[2]] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for code, path := range missing {
		t.Errorf("error code %q (%s) has no err.%s message in the catalog", code, path, code)
	}
}
