package proc

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// A start error is shared: the dev server keeps it for every request that
// waited on the start and formats it for each. Error must only read.
func TestWrongPortErrorConcurrentError(t *testing.T) {
	e := newWrongPortError(3000, []netip.AddrPort{
		netip.MustParseAddrPort("[::1]:8080"), netip.MustParseAddrPort("127.0.0.1:9090"), netip.MustParseAddrPort("0.0.0.0:8080"),
	}, time.Second, nil)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { _ = e.Error() })
	}
	wg.Wait()
}
