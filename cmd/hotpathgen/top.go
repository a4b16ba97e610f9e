package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/hotpath-go/hotpath/internal/textfmt"
	"github.com/hotpath-go/hotpath/runtime/live"
	"github.com/spf13/cobra"
)

// defaultTopURL is where HOTPATH_HTTP=127.0.0.1:6770 serves the live view.
const defaultTopURL = "http://127.0.0.1:6770"

func newTopCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "top [URL]",
		Short: "Watch a running program's live view in the terminal",
		Long: `top shows what a running program measures, refreshed every second: the
live view's event stream (docs/LIVE.md) of a program built with
-tags hotpath and started with HOTPATH_HTTP=ADDR (or serving
runtime/live's handler). URL defaults to ` + defaultTopURL + `; a bare
HOST:PORT works too. HOTPATH_HTTP_TOKEN, when set, is sent as the bearer
token.

Keys: q quits; / filters rows (text, or /regexp/, as HOTPATH_FOCUS; enter
applies, esc clears); s cycles the sort column; tab switches between
functions, channels, allocations, goroutines and mutexes.

Exit status: 0 after q, 2 when the program cannot be reached.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw := defaultTopURL
			if len(args) == 1 {
				raw = args[0]
			}
			return runTop(cmd.Context(), raw, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
}

// topBase turns the argument into the live view's base URL, scheme and
// host only.
func topBase(raw string) (string, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", trouble(fmt.Errorf("hotpathgen top: bad URL %q: want http://HOST:PORT", raw))
	}
	return u.Scheme + "://" + u.Host, nil
}

// topClient reads the live view.
type topClient struct {
	base  string
	token string
	http  *http.Client
}

func (c *topClient) get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return nil, err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		msg := strings.TrimSpace(string(body))
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return nil, fmt.Errorf("%s: the live view needs a token: set HOTPATH_HTTP_TOKEN", resp.Status)
		case http.StatusNotFound:
			return nil, fmt.Errorf("%s: no hotpath live view at %s", resp.Status, c.base)
		}
		return nil, fmt.Errorf("%s: %s", resp.Status, msg)
	}
	return resp, nil
}

// status checks that the live view answers.
func (c *topClient) status(ctx context.Context) (live.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var st live.Status
	resp, err := c.get(ctx, "/debug/hotpath/status")
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("not a hotpath live view at %s: %v", c.base, err)
	}
	return st, nil
}

// stream reads the event stream until ctx ends, handing every event to
// send, and reconnects once a second after an error, which it reports.
func (c *topClient) stream(ctx context.Context, send func(tea.Msg)) {
	for ctx.Err() == nil {
		err := c.readEvents(ctx, send)
		if ctx.Err() != nil {
			return
		}
		send(errMsg{err})
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (c *topClient) readEvents(ctx context.Context, send func(tea.Msg)) error {
	resp, err := c.get(ctx, "/debug/hotpath/events?interval=1s")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the program closed the event stream")
			}
			return err
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev live.Event
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			return fmt.Errorf("bad event: %v", err)
		}
		send(eventMsg{&ev})
	}
}

type eventMsg struct{ ev *live.Event }
type errMsg struct{ err error }

func runTop(ctx context.Context, raw string, in io.Reader, out io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	base, err := topBase(raw)
	if err != nil {
		return err
	}
	c := &topClient{base: base, token: os.Getenv("HOTPATH_HTTP_TOKEN"), http: &http.Client{}}
	if _, err := c.status(ctx); err != nil {
		return trouble(fmt.Errorf("hotpathgen top: cannot reach the live view at %s: %v\n"+
			"Start the program (built with -tags hotpath) with HOTPATH_HTTP=%s, or pass its address: hotpathgen top http://HOST:PORT",
			base, err, strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := newTopModel(base)
	p := tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(out), tea.WithAltScreen(), tea.WithContext(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.stream(ctx, p.Send)
	}()
	_, err = p.Run()
	cancel()
	<-done
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return trouble(fmt.Errorf("hotpathgen top: %v", err))
	}
	return nil
}

// The tables top can show.
const (
	tabFuncs = iota
	tabChans
	tabAllocs
	tabGoros
	tabMutexes
	numTabs
)

var tabNames = [numTabs]string{"functions", "channels", "allocations", "goroutines", "mutexes"}

// topColumn is one column of a table: its title, width, cell and sort key
// (a number, or a string for the name column; numbers sort largest first).
type topColumn[T any] struct {
	title string
	width int
	cell  func(*T) string
	num   func(*T) float64
}

var funcCols = []topColumn[live.Func]{
	{"Function", 0, func(f *live.Func) string { return f.Display }, nil},
	{"Calls", 12, func(f *live.Func) string { return strconv.FormatUint(f.Calls, 10) }, func(f *live.Func) float64 { return float64(f.Calls) }},
	{"Calls/s", 10, func(f *live.Func) string { return rateString(f.Interval.CallsPerSec) }, func(f *live.Func) float64 { return f.Interval.CallsPerSec }},
	{"P50", 10, func(f *live.Func) string { return durIf(f.Interval.Calls, f.Interval.P50NS) }, func(f *live.Func) float64 { return float64(f.Interval.P50NS) }},
	{"P99", 10, func(f *live.Func) string { return durIf(f.Interval.Calls, f.Interval.P99NS) }, func(f *live.Func) float64 { return float64(f.Interval.P99NS) }},
	{"Avg", 10, func(f *live.Func) string { return textfmt.Duration(f.AvgNS) }, func(f *live.Func) float64 { return float64(f.AvgNS) }},
	{"Total", 10, func(f *live.Func) string { return textfmt.Duration(f.TotalNS) }, func(f *live.Func) float64 { return float64(f.TotalNS) }},
}

var chanCols = []topColumn[live.Chan]{
	{"Channel", 0, func(c *live.Chan) string { return c.Label }, nil},
	{"Sent", 12, func(c *live.Chan) string { return strconv.FormatUint(c.Sent, 10) }, func(c *live.Chan) float64 { return float64(c.Sent) }},
	{"Received", 12, func(c *live.Chan) string { return strconv.FormatUint(c.Received, 10) }, func(c *live.Chan) float64 { return float64(c.Received) }},
	{"Sent/s", 10, func(c *live.Chan) string { return rateString(c.Interval.SentPerSec) }, func(c *live.Chan) float64 { return c.Interval.SentPerSec }},
	{"Blocked", 10, func(c *live.Chan) string { return textfmt.Duration(c.SendBlockedNS + c.RecvBlockedNS) }, func(c *live.Chan) float64 { return float64(c.SendBlockedNS + c.RecvBlockedNS) }},
	{"Max depth", 10, func(c *live.Chan) string { return strconv.Itoa(c.MaxDepth) }, func(c *live.Chan) float64 { return float64(c.MaxDepth) }},
}

var allocCols = []topColumn[live.Alloc]{
	{"Function", 0, func(a *live.Alloc) string { return a.Display }, nil},
	{"Bytes", 12, func(a *live.Alloc) string { return strconv.FormatInt(a.AllocBytes, 10) }, func(a *live.Alloc) float64 { return float64(a.AllocBytes) }},
	{"Objects", 10, func(a *live.Alloc) string { return strconv.FormatInt(a.AllocObjects, 10) }, func(a *live.Alloc) float64 { return float64(a.AllocObjects) }},
	{"Self bytes", 12, func(a *live.Alloc) string { return strconv.FormatInt(a.SelfAllocBytes, 10) }, func(a *live.Alloc) float64 { return float64(a.SelfAllocBytes) }},
	{"Calls", 12, func(a *live.Alloc) string { return strconv.FormatUint(a.Calls, 10) }, func(a *live.Alloc) float64 { return float64(a.Calls) }},
}

var goCols = []topColumn[live.Go]{
	{"Goroutine", 0, func(g *live.Go) string { return g.Label }, nil},
	{"Started", 12, func(g *live.Go) string { return strconv.FormatUint(g.Started, 10) }, func(g *live.Go) float64 { return float64(g.Started) }},
	{"Alive", 8, func(g *live.Go) string { return strconv.FormatInt(g.Alive, 10) }, func(g *live.Go) float64 { return float64(g.Alive) }},
	{"Peak", 8, func(g *live.Go) string { return strconv.FormatInt(g.PeakAlive, 10) }, func(g *live.Go) float64 { return float64(g.PeakAlive) }},
	{"Panicked", 9, func(g *live.Go) string { return strconv.FormatUint(g.Panicked, 10) }, func(g *live.Go) float64 { return float64(g.Panicked) }},
	{"Started/s", 10, func(g *live.Go) string { return rateString(g.Interval.StartedPerSec) }, func(g *live.Go) float64 { return g.Interval.StartedPerSec }},
	{"Life P99", 10, func(g *live.Go) string { return durIf(g.Interval.Ended, g.Interval.LifetimeP99NS) }, func(g *live.Go) float64 { return float64(g.Interval.LifetimeP99NS) }},
	{"Avg life", 10, func(g *live.Go) string { return durIf(g.Finished+g.Panicked, g.LifetimeAvgNS) }, func(g *live.Go) float64 { return float64(g.LifetimeAvgNS) }},
}

// mutexBoth adds a mutex site's write and read numbers.
func mutexBoth(m *live.Mutex, f func(*live.MutexMode) uint64) uint64 {
	n := f(&m.Lock)
	if m.RLock != nil {
		n += f(m.RLock)
	}
	return n
}

func mutexAcquired(m *live.Mutex) uint64 {
	return mutexBoth(m, func(s *live.MutexMode) uint64 { return s.Acquisitions })
}

func mutexContended(m *live.Mutex) uint64 {
	return mutexBoth(m, func(s *live.MutexMode) uint64 { return s.Contended })
}

func mutexWait(m *live.Mutex) int64 {
	ns := m.Lock.WaitNS
	if m.RLock != nil {
		ns += m.RLock.WaitNS
	}
	return ns
}

var mutexCols = []topColumn[live.Mutex]{
	{"Mutex", 0, func(m *live.Mutex) string { return m.Label }, nil},
	{"Locks", 12, func(m *live.Mutex) string { return strconv.FormatUint(mutexAcquired(m), 10) }, func(m *live.Mutex) float64 { return float64(mutexAcquired(m)) }},
	{"Contended", 10, func(m *live.Mutex) string { return strconv.FormatUint(mutexContended(m), 10) }, func(m *live.Mutex) float64 { return float64(mutexContended(m)) }},
	{"Locks/s", 10, func(m *live.Mutex) string { return rateString(m.Interval.AcquisitionsPerS) }, func(m *live.Mutex) float64 { return m.Interval.AcquisitionsPerS }},
	{"Wait P99", 10, func(m *live.Mutex) string { return durIf(m.Interval.Contended, m.Interval.WaitP99NS) }, func(m *live.Mutex) float64 { return float64(m.Interval.WaitP99NS) }},
	{"Hold P99", 10, func(m *live.Mutex) string { return durIf(m.Interval.Acquisitions, m.Interval.HoldP99NS) }, func(m *live.Mutex) float64 { return float64(m.Interval.HoldP99NS) }},
	{"Wait", 10, func(m *live.Mutex) string { return textfmt.Duration(mutexWait(m)) }, func(m *live.Mutex) float64 { return float64(mutexWait(m)) }},
}

// defaultSort is each table's initial sort column: total, sent, bytes,
// started, locks.
var defaultSort = [numTabs]int{6, 1, 1, 1, 1}

func rateString(r float64) string {
	if r >= 100 {
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return strconv.FormatFloat(r, 'f', 1, 64)
}

func durIf(n uint64, ns int64) string {
	if n == 0 {
		return "-"
	}
	return textfmt.Duration(ns)
}

var (
	titleStyle  = lipgloss.NewStyle().Bold(true)
	headerStyle = lipgloss.NewStyle().Bold(true).Reverse(true)
	sortedStyle = lipgloss.NewStyle().Bold(true).Underline(true).Reverse(true)
	dimStyle    = lipgloss.NewStyle().Faint(true)
	errStyle    = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("1"))
	activeTab   = lipgloss.NewStyle().Bold(true).Reverse(true).Padding(0, 1)
	idleTab     = lipgloss.NewStyle().Padding(0, 1)
)

// topModel is the bubbletea model of top.
type topModel struct {
	base          string
	ev            *live.Event
	err           error
	tab           int
	sortCol       [numTabs]int
	filter        string
	match         func(string) bool
	editing       bool
	input         textinput.Model
	width, height int
}

func newTopModel(base string) *topModel {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "text or /regexp/"
	return &topModel{base: base, sortCol: defaultSort, match: func(string) bool { return true }, input: in, width: 100, height: 30}
}

func (m *topModel) Init() tea.Cmd { return nil }

func (m *topModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case eventMsg:
		m.ev, m.err = msg.ev, nil
	case errMsg:
		m.err = msg.err
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case tea.KeyMsg:
		if m.editing {
			switch msg.String() {
			case "enter":
				m.editing = false
				m.input.Blur()
				m.setFilter(m.input.Value())
				return m, nil
			case "esc":
				m.editing = false
				m.input.Blur()
				m.input.SetValue("")
				m.setFilter("")
				return m, nil
			case "ctrl+c":
				return m, tea.Quit
			}
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			m.setFilter(m.input.Value()) // filter as you type
			return m, cmd
		}
		switch msg.String() {
		case "q", "ctrl+c":
			return m, tea.Quit
		case "/":
			m.editing = true
			m.input.SetValue(m.filter)
			m.input.CursorEnd()
			return m, m.input.Focus()
		case "esc":
			m.input.SetValue("")
			m.setFilter("")
		case "s":
			m.sortCol[m.tab] = (m.sortCol[m.tab] + 1) % m.numCols()
		case "tab":
			m.tab = (m.tab + 1) % numTabs
		case "shift+tab":
			m.tab = (m.tab + numTabs - 1) % numTabs
		}
	}
	return m, nil
}

func (m *topModel) numCols() int {
	switch m.tab {
	case tabChans:
		return len(chanCols)
	case tabAllocs:
		return len(allocCols)
	case tabGoros:
		return len(goCols)
	case tabMutexes:
		return len(mutexCols)
	}
	return len(funcCols)
}

// setFilter applies the HOTPATH_FOCUS rule: text is a substring, /re/ a
// regular expression (an invalid one keeps every row and says so).
func (m *topModel) setFilter(v string) {
	m.filter = v
	m.match = func(string) bool { return true }
	switch {
	case v == "":
	case len(v) >= 2 && strings.HasPrefix(v, "/") && strings.HasSuffix(v, "/"):
		if re, err := regexp.Compile(v[1 : len(v)-1]); err == nil {
			m.match = re.MatchString
		}
	default:
		m.match = func(s string) bool { return strings.Contains(s, v) }
	}
}

func (m *topModel) View() string {
	var b strings.Builder
	b.WriteString(titleStyle.Render("hotpath top") + "  " + dimStyle.Render(m.base) + "\n")
	switch {
	case m.err != nil:
		b.WriteString(errStyle.Render("connection lost: "+m.err.Error()+" (retrying)") + "\n")
	case m.ev == nil:
		b.WriteString(dimStyle.Render("connected; waiting for the first update") + "\n")
	default:
		ev := m.ev
		line := fmt.Sprintf("up %s · %d functions · %d channels · %d guards", time.Duration(ev.UptimeNS).Round(time.Second),
			len(ev.Functions), len(ev.Channels), ev.Guards)
		if ev.SampleEvery > 1 {
			line += fmt.Sprintf(" · one call in %d timed", ev.SampleEvery)
		}
		if ev.CallsEstimated {
			line += fmt.Sprintf(" · calls estimated (%d per timed call)", ev.SampleEvery)
		}
		if ev.Alloc {
			line += " · allocation mode"
		}
		b.WriteString(dimStyle.Render(line) + "\n")
	}
	var tabs []string
	for i, n := range tabNames {
		if i == m.tab {
			tabs = append(tabs, activeTab.Render(n))
		} else {
			tabs = append(tabs, idleTab.Render(n))
		}
	}
	b.WriteString(lipgloss.JoinHorizontal(lipgloss.Top, tabs...) + "\n")
	rows := max(m.height-7, 1)
	if m.ev != nil {
		switch m.tab {
		case tabFuncs:
			b.WriteString(renderTable(funcCols, m.ev.Functions, m.sortCol[m.tab], m.match, func(f *live.Func) string { return f.Display }, m.width, rows))
		case tabChans:
			b.WriteString(renderTable(chanCols, m.ev.Channels, m.sortCol[m.tab], m.match, func(c *live.Chan) string { return c.Label }, m.width, rows))
		case tabAllocs:
			if !m.ev.Alloc {
				b.WriteString(dimStyle.Render("allocation mode is off (HOTPATH_ALLOC=1 in the program turns it on)") + "\n")
			} else {
				b.WriteString(renderTable(allocCols, m.ev.Allocations, m.sortCol[m.tab], m.match, func(a *live.Alloc) string { return a.Display }, m.width, rows))
			}
		case tabGoros:
			b.WriteString(renderTable(goCols, m.ev.Goroutines, m.sortCol[m.tab], m.match, func(g *live.Go) string { return g.Label }, m.width, rows))
		case tabMutexes:
			b.WriteString(renderTable(mutexCols, m.ev.Mutexes, m.sortCol[m.tab], m.match, func(x *live.Mutex) string { return x.Label }, m.width, rows))
		}
	}
	b.WriteString("\n")
	if m.editing {
		b.WriteString(m.input.View())
	} else {
		help := "q quit · / filter · s sort · tab switch"
		if m.filter != "" {
			help = "filter: " + m.filter + " (esc clears) · " + help
		}
		b.WriteString(dimStyle.Render(help))
	}
	return b.String()
}

// renderTable lays rows out under a header, the sort column marked, at
// most limit rows of the ones that match.
func renderTable[T any](cols []topColumn[T], all []T, sortCol int, match func(string) bool, name func(*T) string, width, limit int) string {
	rows := make([]*T, 0, len(all))
	for i := range all {
		if match(name(&all[i])) {
			rows = append(rows, &all[i])
		}
	}
	sc := cols[sortCol]
	sort.SliceStable(rows, func(i, j int) bool {
		if sc.num == nil {
			return sc.cell(rows[i]) < sc.cell(rows[j])
		}
		return sc.num(rows[i]) > sc.num(rows[j])
	})
	fixed := 0
	for _, c := range cols[1:] {
		fixed += c.width + 1
	}
	nameW := max(width-fixed-1, 16)
	pad := func(i int, s string) string {
		w := cols[i].width
		if i == 0 {
			w = nameW
			if lipgloss.Width(s) > w {
				s = string([]rune(s)[:max(w-1, 0)]) + "…"
			}
			return s + strings.Repeat(" ", max(w-lipgloss.Width(s), 0))
		}
		return strings.Repeat(" ", max(w-lipgloss.Width(s), 0)) + s
	}
	var b strings.Builder
	var head []string
	for i, c := range cols {
		title := c.title
		if i == sortCol {
			title = sortedStyle.Render(pad(i, title))
		} else {
			title = headerStyle.Render(pad(i, title))
		}
		head = append(head, title)
	}
	b.WriteString(strings.Join(head, headerStyle.Render(" ")) + "\n")
	if len(rows) == 0 {
		if len(all) == 0 {
			b.WriteString(dimStyle.Render("(no calls recorded)") + "\n")
		} else {
			b.WriteString(dimStyle.Render("no row matches the filter") + "\n")
		}
	}
	for n, r := range rows {
		if n == limit {
			b.WriteString(dimStyle.Render(fmt.Sprintf("… %d more", len(rows)-limit)) + "\n")
			break
		}
		cells := make([]string, len(cols))
		for i, c := range cols {
			cells[i] = pad(i, c.cell(r))
		}
		b.WriteString(strings.Join(cells, " ") + "\n")
	}
	return b.String()
}
