package webhook

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Headers the connector sets.
const (
	// HeaderSignature carries "t=<unix seconds>,v1=<hex HMAC-SHA256>",
	// the MAC computed with the shared secret over "<t>." followed by the
	// exact request body.
	HeaderSignature = "X-Playgraph-Signature"
	// HeaderIdempotencyKey carries the batch key: the hex SHA-256 of the
	// items' keys, sorted and joined by "\n". The same items always give
	// the same batch key, whatever their order.
	HeaderIdempotencyKey = "Idempotency-Key"
	// HeaderAction repeats the body's action, for routing.
	HeaderAction = "X-Playgraph-Action"
)

// DefaultTolerance is how old (or how far in the future) a signature
// timestamp Verify accepts.
const DefaultTolerance = 5 * time.Minute

// maxVerifyBody bounds the body Verify reads.
const maxVerifyBody = 32 << 20

// BatchKey returns the batch idempotency key of a set of item keys.
func BatchKey(keys []string) string {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	h := sha256.New()
	for i, k := range sorted {
		if i > 0 {
			h.Write([]byte{'\n'})
		}
		h.Write([]byte(k))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Sign returns the signature header value for body at time t.
func Sign(secret, body []byte, t time.Time) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// VerifyBody checks a signature header value against body: the MAC must
// match and the timestamp be within tolerance of now (tolerance <= 0:
// DefaultTolerance). The error wraps ErrSignature.
func VerifyBody(header string, body, secret []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	if ts == "" || len(sigs) == 0 {
		return fmt.Errorf("%w: missing or malformed %s header", ErrSignature, HeaderSignature)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: malformed timestamp", ErrSignature)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp outside tolerance (%s)", ErrSignature, d.Round(time.Second))
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: signature does not match", ErrSignature)
}

// Verify is the receiver's check of a request the connector sent: it reads
// the body (at most 32 MiB), verifies the signature header with secret and
// DefaultTolerance against the current time, and returns the body. r.Body
// is replaced so the handler can read it again. The error wraps
// ErrSignature, or is the error reading the body.
func Verify(r *http.Request, secret []byte) ([]byte, error) {
	if r.Body == nil {
		return nil, fmt.Errorf("%w: no body", ErrSignature)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxVerifyBody+1))
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("webhook: reading body: %w", err)
	}
	if len(body) > maxVerifyBody {
		return nil, fmt.Errorf("%w: body too large", ErrSignature)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := VerifyBody(r.Header.Get(HeaderSignature), body, secret, time.Now(), DefaultTolerance); err != nil {
		return nil, err
	}
	return body, nil
}
