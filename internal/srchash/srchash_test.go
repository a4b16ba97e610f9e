package srchash

import "testing"

func TestSum(t *testing.T) {
	// The first halves of the SHA-256 test vectors of FIPS 180-2.
	for in, want := range map[string]string{
		"":    "e3b0c44298fc1c149afbf4c8996fb924",
		"abc": "ba7816bf8f01cfea414140de5dae2223",
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": "248d6a61d20638b8e5c026930c3e6039",
	} {
		if got := Sum([]byte(in)); got != want {
			t.Errorf("Sum(%q) = %s, want %s", in, got, want)
		}
	}
}
