package hls

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"io/fs"
	"math/rand/v2"
	"testing"

	"github.com/hotpath-go/hotpath/testdata/fixtures"
)

// encrypt pads plain with PKCS#7 and encrypts it with AES-128-CBC.
func encrypt(t testing.TB, key []byte, iv [16]byte, plain []byte) []byte {
	t.Helper()
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	cipher.NewCBCEncrypter(block, iv[:]).CryptBlocks(buf, buf)
	return buf
}

func TestDecrypterInPieces(t *testing.T) {
	key := []byte("0123456789abcdef")
	iv := [16]byte{1, 2, 3}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 15, 16, 17, 31, 32, 33, 1000, 4096} {
		plain := make([]byte, size)
		for i := range plain {
			plain[i] = byte(rng.IntN(256))
		}
		ct := encrypt(t, key, iv, plain)
		for trial := range 5 {
			d, err := NewDecrypter(key, iv)
			if err != nil {
				t.Fatal(err)
			}
			var out []byte
			for rest := ct; len(rest) > 0; {
				n := 1 + rng.IntN(min(len(rest), 40))
				if trial == 0 {
					n = len(rest) // all at once
				}
				out = d.Update(out, rest[:n])
				rest = rest[n:]
			}
			if len(out) > len(ct)-aes.BlockSize {
				t.Fatalf("size %d: Update released %d bytes, more than all but the last block", size, len(out))
			}
			if out, err = d.Final(out); err != nil {
				t.Fatalf("size %d: Final: %v", size, err)
			}
			if !bytes.Equal(out, plain) {
				t.Fatalf("size %d trial %d: plaintext differs", size, trial)
			}
		}
	}
}

func TestDecryptFixtureSegments(t *testing.T) {
	key, err := fs.ReadFile(fixtures.FS, "hls-aes/key.bin")
	if err != nil {
		t.Fatal(err)
	}
	explicit := [16]byte{0xf0, 0xe0, 0xd0, 0xc0, 0xb0, 0xa0, 0x90, 0x80, 0x70, 0x60, 0x50, 0x40, 0x30, 0x20, 0x10, 0x00}
	for _, tc := range []struct {
		variant, segment int
		iv               [16]byte
	}{
		{0, 0, (&Key{}).SegmentIV(0)},
		{0, 3, (&Key{}).SegmentIV(3)},
		{1, 2, explicit},
		{2, 5, (&Key{}).SegmentIV(5)},
	} {
		ct := fixtureSegments(t, "hls-aes", tc.variant, tc.segment)
		got, err := Decrypt(key, tc.iv, ct)
		if err != nil {
			t.Fatalf("v%d seg %d: %v", tc.variant, tc.segment, err)
		}
		if want := fixtureSegments(t, "hls", tc.variant, tc.segment); !bytes.Equal(got, want) {
			t.Fatalf("v%d seg %d: plaintext differs from the clear fixture", tc.variant, tc.segment)
		}
	}
}

func TestDecryptErrors(t *testing.T) {
	key := []byte("0123456789abcdef")
	var iv [16]byte
	if _, err := NewDecrypter(key[:15], iv); !errors.Is(err, ErrKey) {
		t.Errorf("15-byte key: %v, want ErrKey", err)
	}
	if _, err := Decrypt(key, iv, make([]byte, 17)); !errors.Is(err, ErrDecrypt) {
		t.Errorf("17-byte ciphertext: %v, want ErrDecrypt", err)
	}
	if _, err := Decrypt(key, iv, nil); !errors.Is(err, ErrDecrypt) {
		t.Errorf("empty ciphertext: %v, want ErrDecrypt", err)
	}
	// Decrypting with the wrong key leaves garbage where the padding was.
	ct := encrypt(t, key, iv, []byte("some plaintext of a segment"))
	bad := 0
	for i := range 64 {
		wrong := bytes.Clone(key)
		wrong[0] ^= byte(i + 1)
		if _, err := Decrypt(wrong, iv, ct); errors.Is(err, ErrDecrypt) {
			bad++
		}
	}
	if bad < 60 {
		t.Errorf("only %d of 64 wrong keys were caught by the padding check", bad)
	}
	d, _ := NewDecrypter(key, iv)
	d.Update(nil, ct)
	if _, err := d.Final(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Final(nil); !errors.Is(err, ErrDecrypt) {
		t.Errorf("second Final: %v, want ErrDecrypt", err)
	}
}
