package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kefu-project/kefu/internal/store/storetest"
)

// TestKill9LosesNoAcknowledgedWrite runs the real binary, writes tickets
// from many clients, kills the server with SIGKILL in the middle, restarts
// it and checks that every ticket the server acknowledged is there.
func TestKill9LosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildKefu(t)
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			data := t.TempDir()
			dsn := ""
			if b.Name == "postgres" {
				dsn = b.DSN(t)
			}
			env := append(os.Environ(), "KEFU_ADMIN_EMAIL=crash@kefu.test", "KEFU_ADMIN_PASSWORD=crash-password-1", "KEFU_DB="+dsn, "KEFU_DATA="+data)
			start := func() (*exec.Cmd, string) { return startServe(t, bin, env, nil) }
			cmd, url := start()
			tokCmd := exec.Command(bin, "token", "create")
			tokCmd.Env = env
			tokOut, err := tokCmd.Output()
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			token := strings.TrimSpace(string(tokOut))

			var mu sync.Mutex
			var acked []string
			words := map[string]string{} // ticket → the word only its subject has
			stop := make(chan struct{})
			var wg sync.WaitGroup
			client := &http.Client{Timeout: 5 * time.Second}
			for w := 0; w < 16; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						body, _ := json.Marshal(map[string]any{"subject": fmt.Sprintf("崩溃测试 crash%dx%d", w, i),
							"customer": map[string]any{"name": "c", "identities": []map[string]any{{"kind": "app", "value": fmt.Sprintf("%d-%d", w, i)}}},
							"message":  map[string]any{"kind": "customer", "body": "x"}})
						req, _ := http.NewRequest("POST", url+"/api/v1/tickets", bytes.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+token)
						res, err := client.Do(req)
						if err != nil {
							return // the server died
						}
						var out struct{ ID string }
						json.NewDecoder(res.Body).Decode(&out)
						res.Body.Close()
						if res.StatusCode == 201 {
							mu.Lock()
							acked = append(acked, out.ID)
							words[out.ID] = fmt.Sprintf("crash%dx%d", w, i)
							mu.Unlock()
						}
					}
				}(w)
			}
			time.Sleep(1500 * time.Millisecond)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			close(stop)
			wg.Wait()
			if len(acked) < 50 {
				t.Fatalf("only %d writes acknowledged before the kill", len(acked))
			}
			cmd, url = start()
			defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
			missing := 0
			for _, id := range acked {
				req, _ := http.NewRequest("GET", url+"/api/v1/tickets/"+id, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					missing++
				}
			}
			if missing > 0 {
				t.Fatalf("%d of %d acknowledged tickets lost after kill -9", missing, len(acked))
			}
			// Search finds them too: the search index is written with the
			// rows, in the same transaction (the last ones are checked).
			unfound := 0
			for i := max(0, len(acked)-100); i < len(acked); i++ {
				id := acked[i]
				req, _ := http.NewRequest("GET", url+"/api/v1/tickets?q="+words[id], nil)
				req.Header.Set("Authorization", "Bearer "+token)
				res, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				var page struct{ Items []struct{ ID string } }
				json.NewDecoder(res.Body).Decode(&page)
				res.Body.Close()
				if len(page.Items) != 1 || page.Items[0].ID != id {
					unfound++
				}
			}
			if unfound > 0 {
				t.Fatalf("%d of the last %d acknowledged tickets not found by search after kill -9", unfound, min(100, len(acked)))
			}
			t.Logf("%d acknowledged tickets, all present after kill -9 and restart", len(acked))
		})
	}
}
