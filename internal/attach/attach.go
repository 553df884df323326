// Package attach keeps attachment bytes. The default keeps files under the
// data directory; the interface lets object storage replace it.
package attach

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"
)

// Store saves and opens attachment bytes by key.
type Store interface {
	// Put stores at most max bytes from r; more is an error (ErrTooLarge).
	Put(ctx context.Context, tenantID string, r io.Reader, max int64) (key string, size int64, sha string, err error)
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// ErrTooLarge reports an upload over the limit.
var ErrTooLarge = errors.New("attachment is too large")

// Dir stores files under a directory, one file per attachment, written to a
// temporary name, synced and renamed so a crash never leaves half a file
// under a real key.
type Dir struct{ Root string }

func (d Dir) Put(ctx context.Context, tenantID string, r io.Reader, max int64) (string, int64, string, error) {
	if strings.ContainsAny(tenantID, `/\.`) || tenantID == "" {
		return "", 0, "", fmt.Errorf("bad tenant id %q", tenantID)
	}
	id := uuid.Must(uuid.NewV7()).String()
	key := tenantID + "/" + id[:2] + "/" + id
	path := filepath.Join(d.Root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return "", 0, "", err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return "", 0, "", err
	}
	defer os.Remove(f.Name()) // no-op after a successful rename
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r, max+1))
	if err == nil && n > max {
		err = ErrTooLarge
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return "", 0, "", err
	}
	return key, n, hex.EncodeToString(h.Sum(nil)), nil
}

func (d Dir) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if strings.Contains(key, "..") {
		return nil, fmt.Errorf("bad key %q", key)
	}
	return os.Open(filepath.Join(d.Root, filepath.FromSlash(key)))
}
