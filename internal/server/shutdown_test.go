package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/store/storetest"
)

// TestGracefulShutdown: a request in flight when the node is told to stop
// still gets its answer; new connections are refused afterwards.
func TestGracefulShutdown(t *testing.T) {
	s := storetest.Open(t, storetest.Backends()[0], nil)
	cfg := Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Version: "test"}
	n, err := NewNode(cfg, s)
	if err != nil {
		t.Fatal(err)
	}
	inner := n.Handler
	entered := make(chan struct{})
	n.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			time.Sleep(300 * time.Millisecond)
			io.WriteString(w, "finished")
			return
		}
		inner.ServeHTTP(w, r)
	})
	ctx, cancel := context.WithCancel(context.Background())
	addrCh := make(chan string, 1)
	cfg.Ready = func(a string) { addrCh <- a }
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, n) }()
	addr := <-addrCh
	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		got <- string(b)
	}()
	<-entered
	cancel()
	if body := <-got; body != "finished" {
		t.Fatalf("in-flight request: %q", body)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("server still answers after shutdown: %v", err)
	}
}
