// Package srchash is the checksum hotpathgen writes into twins and the
// runtime checks: the hash of a twin's source file that generated code
// passes to RegisterSource (the runtime recomputes it from the file on
// disk to warn about stale twins), and the hash on a twin's last line.
// Both sides must spell it the same way, so it lives here once; it is a
// module-level internal package because gen/ is outside runtime/.
package srchash

import (
	"crypto/sha256"
	"encoding/hex"
)

// Sum is the checksum of b: the first 16 bytes of its SHA-256, in lower
// case hex (32 characters).
func Sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:16])
}
