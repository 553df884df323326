// Package auth owns who may do what: password hashing, API token format,
// default roles, permission and authority-limit checks, and sign-in rate
// limiting. It is the one place permissions are decided.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (RFC 9106 second recommendation, lighter memory so a
// 2-core node can take a burst of sign-ins).
const (
	argonTime    = 2
	argonMemory  = 32 * 1024 // KiB
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns an encoded argon2id hash.
func HashPassword(pw string) (string, error) {
	if len(pw) < 10 {
		return "", errors.New("password must be at least 10 characters")
	}
	if len(pw) > 1024 {
		return "", errors.New("password is too long")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword verifies pw against an encoded hash in constant time.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// RandomSecret returns n random bytes, URL-safe encoded.
func RandomSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system's randomness failing is not recoverable
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// API tokens look like "kefu_<token id>_<secret>". The id finds the row;
// the secret has 256 bits of entropy, so a fast SHA-256 is the right hash
// (a slow password hash would cost milliseconds on every request for no gain).
const tokenPrefix = "kefu_"

// NewToken returns the full token to show once, and its id and secret hash.
func NewToken(id string) (full string, hash []byte) {
	secret := RandomSecret(32)
	sum := sha256.Sum256([]byte(secret))
	return tokenPrefix + id + "_" + secret, sum[:]
}

// ParseToken splits a presented token into id and secret hash.
func ParseToken(full string) (id string, hash []byte, ok bool) {
	rest, found := strings.CutPrefix(full, tokenPrefix)
	if !found {
		return "", nil, false
	}
	i := strings.IndexByte(rest, '_') // ids have no "_"; secrets may
	if i <= 0 || i == len(rest)-1 {
		return "", nil, false
	}
	sum := sha256.Sum256([]byte(rest[i+1:]))
	return rest[:i], sum[:], true
}

// HashSessionID hashes a session cookie value for storage.
func HashSessionID(v string) []byte {
	sum := sha256.Sum256([]byte(v))
	return sum[:]
}
