package hls

import (
	"context"
	"fmt"
	"net/url"
	"sync"
)

// playlistManager fetches and parses the playlists of one presentation, each
// once: VOD playlists do not change.
type playlistManager struct {
	fetch  *fetchManager
	master *MasterPlaylist

	mu    sync.Mutex
	media map[int]*MediaPlaylist
}

// loadPlaylists fetches the playlist at u. A master playlist lists the
// variants; a media playlist is taken as the only variant of a presentation
// (its bandwidth unknown, 0).
func loadPlaylists(ctx context.Context, fetch *fetchManager, u *url.URL) (*playlistManager, error) {
	data, err := fetch.fetchPlaylist(ctx, u)
	if err != nil {
		return nil, err
	}
	m := &playlistManager{fetch: fetch, media: map[int]*MediaPlaylist{}}
	if IsMaster(data) {
		if m.master, err = ParseMaster(segmentName(u), u, data); err != nil {
			return nil, err
		}
		return m, nil
	}
	media, err := ParseMedia(segmentName(u), u, data)
	if err != nil {
		return nil, err
	}
	m.master = &MasterPlaylist{URL: u, Variants: []Variant{{Index: 0, URI: u}}}
	m.media[0] = media
	return m, nil
}

// mediaPlaylist returns the media playlist of a variant, fetching it the
// first time.
func (m *playlistManager) mediaPlaylist(ctx context.Context, variant int) (*MediaPlaylist, error) {
	if variant < 0 || variant >= len(m.master.Variants) {
		return nil, fmt.Errorf("variant %d out of range [0, %d)", variant, len(m.master.Variants))
	}
	m.mu.Lock()
	pl, ok := m.media[variant]
	m.mu.Unlock()
	if ok {
		return pl, nil
	}
	u := m.master.Variants[variant].URI
	data, err := m.fetch.fetchPlaylist(ctx, u)
	if err != nil {
		return nil, err
	}
	if pl, err = ParseMedia(segmentName(u), u, data); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cached, ok := m.media[variant]; ok {
		return cached, nil
	}
	m.media[variant] = pl
	return pl, nil
}
