// Package web serves kefu's server-rendered pages: for now the start page
// (version, health, API document) and password sign-in with server-side
// sessions and CSRF protection. The agent workspace comes in later issues.
package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/kefu-project/kefu/internal/auth"
	"github.com/kefu-project/kefu/internal/i18n"
	"github.com/kefu-project/kefu/internal/kefu"
	"github.com/kefu-project/kefu/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

const (
	sessionCookie = "kefu_session"
	preCookie     = "kefu_pre" // CSRF token for the sign-in form, before any session
	langCookie    = "kefu_lang"
	sessionTTL    = 12 * time.Hour
)

// Options configure the pages.
type Options struct {
	Store   *store.Store
	Logger  *slog.Logger
	Version string
	Secure  bool // mark cookies Secure (behind HTTPS)
	Now     func() time.Time
}

// Web serves the pages.
type Web struct {
	o       Options
	pages   map[string]*template.Template
	limitIP *auth.Limiter
	limitID *auth.Limiter
}

// New parses the templates at start, so a broken template fails fast.
func New(o Options) (*Web, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	funcs := template.FuncMap{"t": func(l i18n.Lang, key string) string { return i18n.T(l, key) }}
	w := &Web{o: o, pages: map[string]*template.Template{},
		limitIP: auth.NewLimiter(20, 30*time.Second, o.Now), // per address: bursts of 20, then 2 a minute
		limitID: auth.NewLimiter(5, time.Minute, o.Now),     // per account: 5, then 1 a minute
	}
	for _, p := range []string{"home", "login"} {
		t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+p+".html")
		if err != nil {
			return nil, err
		}
		w.pages[p] = t
	}
	return w, nil
}

// Register adds the page routes to mux.
func (w *Web) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", w.home)
	mux.HandleFunc("GET /login", w.loginPage)
	mux.HandleFunc("POST /login", w.login)
	mux.HandleFunc("POST /logout", w.logout)
}

type pageData struct {
	Lang        i18n.Lang
	Langs       []i18n.Lang
	Version     string
	Healthy     bool
	HealthError string
	Database    string
	User        *kefu.User
	Tenant      string
	CSRF        string
	Error       string
	Email       string
}

func (w *Web) lang(rw http.ResponseWriter, r *http.Request, u *kefu.User) i18n.Lang {
	if l, ok := i18n.Parse(r.URL.Query().Get("lang")); ok {
		http.SetCookie(rw, &http.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 86400, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: w.o.Secure})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := i18n.Parse(c.Value); ok {
			return l
		}
	}
	if u != nil {
		if l, ok := i18n.Parse(u.Locale); ok {
			return l
		}
	}
	return i18n.FromAcceptLanguage(r.Header.Get("Accept-Language"), i18n.ZhHans)
}

func (w *Web) render(rw http.ResponseWriter, name string, status int, d pageData) {
	d.Langs = i18n.Supported
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	rw.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
	rw.Header().Set("X-Frame-Options", "DENY")
	rw.WriteHeader(status)
	if err := w.pages[name].ExecuteTemplate(rw, "layout", d); err != nil {
		w.o.Logger.Error("render", "page", name, "err", err)
	}
}

// Session resolves the browser session of a request; the API uses it too.
func (w *Web) Session(r *http.Request) (*store.Principal, string, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, "", kefu.Unauthorized("no session")
	}
	return w.o.Store.SessionPrincipal(r.Context(), auth.HashSessionID(c.Value))
}

func (w *Web) home(rw http.ResponseWriter, r *http.Request) {
	d := pageData{Version: w.o.Version, Database: string(w.o.Store.Dialect()), Healthy: true}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := w.o.Store.Ping(ctx); err != nil {
		d.Healthy, d.HealthError = false, err.Error()
	}
	if p, csrf, err := w.Session(r); err == nil {
		u := p.User
		d.User, d.CSRF = &u, csrf
		if t, err := w.o.Store.Tenant(r.Context(), p.TenantID); err == nil {
			d.Tenant = t.Name
		}
	}
	d.Lang = w.lang(rw, r, d.User)
	w.render(rw, "home", http.StatusOK, d)
}

// preToken gives the sign-in form a CSRF token bound to a cookie
// (double-submit): a cross-site form cannot read or set it.
func (w *Web) preToken(rw http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	v := auth.RandomSecret(24)
	http.SetCookie(rw, &http.Cookie{Name: preCookie, Value: v, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: w.o.Secure})
	return v
}

func (w *Web) loginPage(rw http.ResponseWriter, r *http.Request) {
	w.render(rw, "login", http.StatusOK, pageData{Lang: w.lang(rw, r, nil), CSRF: w.preToken(rw, r)})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (w *Web) login(rw http.ResponseWriter, r *http.Request) {
	lang := w.lang(rw, r, nil)
	r.Body = http.MaxBytesReader(rw, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(rw, "bad form", http.StatusBadRequest)
		return
	}
	email := store.NormalizeEmail(r.PostFormValue("email"))
	d := pageData{Lang: lang, Email: email, CSRF: w.preToken(rw, r)}
	pre, err := r.Cookie(preCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(pre.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		d.Error = i18n.T(lang, "err.csrf")
		w.render(rw, "login", http.StatusForbidden, d)
		return
	}
	if ok, wait := w.limitIP.Allow(clientIP(r)); !ok {
		rw.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		d.Error = i18n.T(lang, "err.rate_limited")
		w.render(rw, "login", http.StatusTooManyRequests, d)
		return
	}
	if ok, wait := w.limitID.Allow(email); !ok {
		rw.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		d.Error = i18n.T(lang, "err.rate_limited")
		w.render(rw, "login", http.StatusTooManyRequests, d)
		return
	}
	u, err := w.o.Store.UserByEmail(r.Context(), email)
	if err != nil || !u.Active || u.PasswordHash == "" || !auth.CheckPassword(u.PasswordHash, r.PostFormValue("password")) {
		if err != nil {
			// Spend the same time as a real check so timing does not reveal accounts.
			auth.CheckPassword(dummyHash, r.PostFormValue("password"))
		}
		d.Error = i18n.T(lang, "ui.bad_login")
		w.render(rw, "login", http.StatusUnauthorized, d)
		return
	}
	sid := auth.RandomSecret(32)
	if err := w.o.Store.CreateSession(r.Context(), u.TenantID, u.ID, auth.HashSessionID(sid), auth.RandomSecret(24), sessionTTL); err != nil {
		w.o.Logger.Error("create session", "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	http.SetCookie(rw, &http.Cookie{Name: sessionCookie, Value: sid, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: w.o.Secure, MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(rw, r, "/", http.StatusSeeOther)
}

func (w *Web) logout(rw http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(rw, r.Body, 16<<10)
	_, csrf, err := w.Session(r)
	if err != nil {
		http.Redirect(rw, r, "/", http.StatusSeeOther)
		return
	}
	if subtle.ConstantTimeCompare([]byte(csrf), []byte(r.PostFormValue("csrf"))) != 1 {
		http.Error(rw, i18n.T(w.lang(rw, r, nil), "err.csrf"), http.StatusForbidden)
		return
	}
	c, _ := r.Cookie(sessionCookie)
	if err := w.o.Store.DeleteSession(r.Context(), auth.HashSessionID(c.Value)); err != nil {
		w.o.Logger.Error("delete session", "err", err)
	}
	http.SetCookie(rw, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: w.o.Secure})
	http.Redirect(rw, r, "/", http.StatusSeeOther)
}

// dummyHash is checked for unknown accounts to keep sign-in timing flat.
var dummyHash = func() string {
	h, _ := auth.HashPassword("not-a-real-password-0000")
	return h
}()
