//go:build !hotpath

package hls

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"
	"slices"
)

// Decrypter decrypts one AES-128-CBC ciphertext with PKCS#7 padding as it
// arrives, in pieces of any size.
//
// Segments are decrypted while they stream in rather than after they
// complete: CBC decrypts each block from itself and the block before it, so
// every complete block can be decrypted as soon as the next one is known to
// exist. Only the last block is held back, because it carries the padding
// and which block is last is known only at the end. The download thus needs
// one block of memory instead of a whole segment and writes plaintext to the
// cache in a single pass; the cache then holds plaintext, so a cached
// segment needs neither its key nor a second decryption.
type Decrypter struct {
	mode    cipher.BlockMode
	pending []byte // ciphertext received but not yet decrypted
	done    bool
}

// NewDecrypter returns a decrypter for ciphertext encrypted with key and iv.
// The key must be 16 bytes (ErrKey otherwise).
func NewDecrypter(key []byte, iv [16]byte) (*Decrypter, error) {
	if len(key) != 16 {
		return nil, fmt.Errorf("%w: key is %d bytes, want 16", ErrKey, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return &Decrypter{
		mode:    cipher.NewCBCDecrypter(block, iv[:]),
		pending: make([]byte, 0, 2*aes.BlockSize),
	}, nil
}

// Update appends ciphertext and returns dst extended with the plaintext
// that is final by now: every complete block but the last.
//
//hotpath:measure
func (d *Decrypter) Update(dst, ciphertext []byte) []byte {
	if d.done {
		return dst
	}
	// Fast path: decrypt straight from the caller's buffer, keeping back a
	// possibly incomplete tail and the last complete block.
	if len(d.pending) == 0 {
		n := len(ciphertext) / aes.BlockSize * aes.BlockSize
		if n == len(ciphertext) {
			n -= aes.BlockSize
		}
		if n > 0 {
			dst = d.decrypt(dst, ciphertext[:n])
			ciphertext = ciphertext[n:]
		}
		d.pending = append(d.pending, ciphertext...)
		return dst
	}
	d.pending = append(d.pending, ciphertext...)
	n := len(d.pending) / aes.BlockSize * aes.BlockSize
	if n == len(d.pending) {
		n -= aes.BlockSize
	}
	if n > 0 {
		dst = d.decrypt(dst, d.pending[:n])
		d.pending = append(d.pending[:0], d.pending[n:]...)
	}
	return dst
}

// decrypt appends the decryption of whole blocks src to dst.
func (d *Decrypter) decrypt(dst, src []byte) []byte {
	off := len(dst)
	dst = slices.Grow(dst, len(src))[:off+len(src)]
	d.mode.CryptBlocks(dst[off:], src)
	return dst
}

// Final decrypts the last block, checks and strips its PKCS#7 padding and
// returns dst extended with the last plaintext. The ciphertext must have
// been a positive multiple of the block size (ErrDecrypt otherwise).
func (d *Decrypter) Final(dst []byte) ([]byte, error) {
	if d.done {
		return dst, fmt.Errorf("%w: Final called twice", ErrDecrypt)
	}
	d.done = true
	if len(d.pending) != aes.BlockSize {
		return dst, fmt.Errorf("%w: ciphertext is not a whole number of %d-byte blocks", ErrDecrypt, aes.BlockSize)
	}
	var last [aes.BlockSize]byte
	d.mode.CryptBlocks(last[:], d.pending)
	pad := int(last[aes.BlockSize-1])
	if pad == 0 || pad > aes.BlockSize {
		return dst, fmt.Errorf("%w: bad PKCS#7 padding", ErrDecrypt)
	}
	for _, b := range last[aes.BlockSize-pad:] {
		if int(b) != pad {
			return dst, fmt.Errorf("%w: bad PKCS#7 padding", ErrDecrypt)
		}
	}
	return append(dst, last[:aes.BlockSize-pad]...), nil
}

// Decrypt decrypts a whole AES-128-CBC ciphertext with PKCS#7 padding.
func Decrypt(key []byte, iv [16]byte, ciphertext []byte) ([]byte, error) {
	d, err := NewDecrypter(key, iv)
	if err != nil {
		return nil, err
	}
	out := d.Update(make([]byte, 0, len(ciphertext)), ciphertext)
	return d.Final(out)
}
