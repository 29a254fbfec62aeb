package connector

import (
	"bytes"
	"sync"

	"github.com/playgraph/playgraph/audience"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// legalSuffixes are the company-form words NormalizeCompany drops from the
// end of a name.
var legalSuffixes = map[string]bool{
	"inc": true, "incorporated": true, "corp": true, "corporation": true,
	"co": true, "company": true, "cos": true, "llc": true, "llp": true, "lp": true,
	"ltd": true, "limited": true, "plc": true, "gmbh": true, "mbh": true,
	"ag": true, "kg": true, "ug": true, "se": true, "sa": true, "sas": true,
	"sarl": true, "srl": true, "spa": true, "bv": true, "nv": true, "ab": true,
	"oy": true, "oyj": true, "as": true, "asa": true, "aps": true, "pty": true,
	"pte": true, "kk": true, "lda": true, "sl": true, "sro": true, "zrt": true,
}

// NormalizeCompany normalises a company name for matching: lower case;
// '.' and apostrophes dropped ("L.L.C." is "llc"); '&' read as "and"; other
// punctuation and spaces separate words; trailing legal forms (Inc, LLC,
// GmbH, Ltd, Corp, Co, S.A., Pty…) and a leading "the" dropped while a
// word remains; the words then joined without spaces. "ACME, Inc." and
// "Acme" both give "acme". Accents are kept (no Unicode folding beyond
// case).
func NormalizeCompany(s string) string { return string(appendCompany(nil, s)) }

// appendCompany appends NormalizeCompany(s) to dst without allocating
// beyond dst's growth.
func appendCompany(dst []byte, s string) []byte {
	base := len(dst)
	// First the words, lower case, each followed by one space.
	inWord := false
	endWord := func() {
		if inWord {
			dst = append(dst, ' ')
			inWord = false
		}
	}
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			dst, inWord = append(dst, byte(r)), true
		case r >= 'A' && r <= 'Z':
			dst, inWord = append(dst, byte(r)+'a'-'A'), true
		case r == '.' || r == '\'' || r == '\u2019':
		case r == '&':
			endWord()
			dst = append(dst, "and "...)
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			dst, inWord = utf8.AppendRune(dst, foldRune(r)), true
		case inWord && unicode.IsMark(r):
			// A combining accent belongs to its letter ("e" + U+0301).
			dst = utf8.AppendRune(dst, r)
		default:
			endWord()
		}
	}
	endWord()
	// Drop trailing legal forms (and a dangling "and") while two words remain.
	for {
		w := dst[base:]
		if len(w) == 0 {
			break
		}
		prev := bytes.LastIndexByte(w[:len(w)-1], ' ')
		if prev < 0 {
			break // one word left
		}
		last := w[prev+1 : len(w)-1]
		if !legalSuffixes[string(last)] && string(last) != "and" {
			break
		}
		dst = dst[:base+prev+1]
	}
	// Drop a leading "the" while two words remain.
	if w := dst[base:]; bytes.HasPrefix(w, []byte("the ")) && len(w) > 4 {
		dst = append(dst[:base], w[4:]...)
	}
	// Join the words.
	out := base
	for _, b := range dst[base:] {
		if b != ' ' {
			dst[out] = b
			out++
		}
	}
	return dst[:out]
}

// NormalizeDomain normalises a web domain, URL or email address to a host
// name for matching: lower case; an email's part after '@'; scheme, user
// info, path, query, fragment and port dropped; a trailing '.' and a
// leading "www." dropped. "https://www.Acme.com/about" gives "acme.com".
func NormalizeDomain(s string) string { return string(appendLower(nil, hostOf(s))) }

// hostOf returns the host part of a domain, URL or email address, not yet
// lower-cased, with "www." and a trailing '.' dropped.
func hostOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '@'); i >= 0 && !strings.Contains(s, "://") {
		s = s[i+1:]
	}
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	if i := strings.IndexAny(s, "/?#"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 && allDigits(s[i+1:]) {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	if len(s) >= 4 && strings.EqualFold(s[:4], "www.") {
		s = s[4:]
	}
	return s
}

// appendRegistrable appends the registrable domain of s's host.
func appendRegistrable(dst []byte, s string) []byte {
	h := lowerFold(hostOf(s))
	return append(dst, RegistrableDomain(h)...)
}

// RegistrableDomain returns the registrable domain (public suffix plus one
// label, from golang.org/x/net/publicsuffix) of a normalised host:
// "shop.acme.co.uk" gives "acme.co.uk". A host that has none (a bare
// public suffix, an IP address, a single label) is returned as it is.
func RegistrableDomain(host string) string {
	if host == "" {
		return ""
	}
	d, err := publicsuffix.EffectiveTLDPlusOne(host)
	if err != nil {
		return host
	}
	return d
}

// NormalizeStrict is the strict normalisation: surrounding space trimmed
// and letter case ignored; nothing else.
func NormalizeStrict(s string) string { return lowerFold(strings.TrimSpace(s)) }

// appendLower appends s lower-cased; beyond ASCII, each letter becomes
// the lower case of its simple case-folding class (see foldRune), so that
// strings equal ignoring case (strings.EqualFold) come out equal.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			for _, r := range s {
				dst = utf8.AppendRune(dst, foldRune(r))
			}
			return dst
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// lowerFold is appendLower as a string, without allocating when s is
// already lower case ASCII.
func lowerFold(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
			return string(appendLower(nil, s))
		}
	}
	return s
}

// defaultCatalog is the catalogue used when a nil one is passed: the
// built-in fields. It is built on first use with audience.NewCatalog
// rather than taken from audience.DefaultCatalog, whose package-level
// initialisation runs before the built-in fields are completed.
var defaultCatalog = sync.OnceValue(func() *audience.Catalog {
	c, err := audience.NewCatalog()
	if err != nil {
		return audience.DefaultCatalog()
	}
	return c
})

// foldRune maps r to one representative of its simple case-folding class
// (the runes unicode.SimpleFold cycles through), lower case: 'Σ', 'σ' and
// the final 'ς' all give 'σ'; the Kelvin sign gives 'k'.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if r >= 'A' && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < least {
			least = f
		}
	}
	return unicode.ToLower(least)
}
