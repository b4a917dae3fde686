package devserver

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// invokePrefix starts the id of a request that invokes a function, in
// front of requestIDs' own: "dev1::dev1::..." (reference §3.5).
const invokePrefix = "dev1::"

// requestIDs makes request ids in Vercel's dev format (reference §3.5):
// "dev1::<pod>-<unix ms>-<12 hex digits>", where pod is five characters
// chosen once per server.
type requestIDs struct {
	prefix string // "dev1::<pod>-"
}

const podAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func newRequestIDs() requestIDs {
	pod := make([]byte, 5)
	for i := range pod {
		pod[i] = podAlphabet[rand.IntN(len(podAlphabet))]
	}
	return requestIDs{prefix: "dev1::" + string(pod) + "-"}
}

// next returns a fresh id. It allocates only the returned string.
func (g requestIDs) next(now time.Time) string {
	var buf [64]byte
	b := append(buf[:0], g.prefix...)
	b = strconv.AppendInt(b, now.UnixMilli(), 10)
	b = append(b, '-')
	const hexDigits = "0123456789abcdef"
	r := rand.Uint64()
	for i := 0; i < 12; i++ {
		b = append(b, hexDigits[r&0xf])
		r >>= 4
	}
	return string(b)
}
