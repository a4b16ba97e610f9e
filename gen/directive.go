package gen

import (
	"fmt"
	"go/token"
	"strconv"
	"strings"
	"unicode"
)

// Verb is the kind of a directive: the word after "//hotpath:".
type Verb string

// directivePrefix starts every directive. Like //go: directives it has no
// space after the slashes, so godoc and ast.CommentGroup.Text leave it out.
const directivePrefix = "//hotpath:"

// Directive is one parsed //hotpath: comment.
type Directive struct {
	Verb Verb
	// Label is label=NAME for measure and channel, the positional label of
	// block; empty when not given.
	Label string
	// Pos is the position of the comment's first slash.
	Pos token.Position
	// Text is the comment as written.
	Text string
}

// looksLikeDirective reports whether a comment was meant as a directive:
// it starts with //hotpath:, or with "// hotpath:" followed by a verb
// (a space after the slashes turns a directive into prose, silently).
func looksLikeDirective(text string) (isDirective, spaced bool) {
	if strings.HasPrefix(text, directivePrefix) {
		return true, false
	}
	rest, ok := strings.CutPrefix(text, "// hotpath:")
	if !ok {
		return false, false
	}
	word, _, _ := strings.Cut(rest, " ")
	for _, v := range verbs {
		if word == string(v) {
			return false, true
		}
	}
	return false, false
}

// ParseDirective parses the text of one comment that starts with
// //hotpath:. pos is where the comment starts; errors point into it.
func ParseDirective(text string, pos token.Position) (Directive, error) {
	d := Directive{Pos: pos, Text: text}
	at := func(off int) token.Position {
		p := pos
		p.Column += off
		p.Offset += off
		return p
	}
	body := strings.TrimPrefix(text, directivePrefix)
	off := len(directivePrefix)
	verbEnd := strings.IndexFunc(body, unicode.IsSpace)
	if verbEnd < 0 {
		verbEnd = len(body)
	}
	verb := body[:verbEnd]
	spec, known := specOf(Verb(verb))
	switch {
	case known:
		d.Verb = Verb(verb)
	case verb == "":
		return d, errorAt(pos, "directive has no verb: want one of %s", verbList())
	default:
		msg := fmt.Sprintf("unknown directive //hotpath:%s", verb)
		if s := suggestVerb(verb); s != "" {
			msg += fmt.Sprintf(" (did you mean //hotpath:%s?)", s)
		} else {
			msg += fmt.Sprintf(": want one of %s", verbList())
		}
		return d, errorAt(pos, "%s", msg)
	}
	args, err := splitArgs(body[verbEnd:], off+verbEnd)
	if err != nil {
		return d, errorAt(at(err.off), "%s", err.msg)
	}
	seen := map[string]bool{}
	for _, a := range args {
		switch {
		case spec.positional && a.key == "" && d.Label == "" && !seen["label"]:
			d.Label = a.value
			seen["label"] = true
		case a.key == "":
			return d, errorAt(at(a.off), "//hotpath:%s: unexpected argument %q%s", d.Verb, a.value, spec.usage)
		case a.key != "label" || !spec.label && !spec.positional:
			return d, errorAt(at(a.off), "//hotpath:%s: unknown option %q%s", d.Verb, a.key, spec.usage)
		case seen[a.key]:
			return d, errorAt(at(a.off), "//hotpath:%s: option %q given twice", d.Verb, a.key)
		default:
			if a.value == "" {
				return d, errorAt(at(a.off), "//hotpath:%s: label is empty", d.Verb)
			}
			d.Label = a.value
			seen[a.key] = true
		}
	}
	if spec.positional && d.Label == "" {
		return d, errorAt(pos, "//hotpath:%s needs a label: //hotpath:%s NAME", d.Verb, d.Verb)
	}
	return d, nil
}

func verbList() string {
	var s []string
	for _, v := range verbs {
		s = append(s, string(v))
	}
	return strings.Join(s, ", ")
}

type arg struct {
	key, value string
	off        int // byte offset of the argument in the comment
}

type argError struct {
	off int
	msg string
}

// splitArgs splits "key=value" and bare words separated by spaces; a value
// may be a double-quoted Go string to hold spaces.
func splitArgs(s string, base int) ([]arg, *argError) {
	var args []arg
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return args, nil
		}
		start := i
		a := arg{off: base + start}
		// A key runs up to '=' or a space.
		for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '=' && s[i] != '"' {
			i++
		}
		word := s[start:i]
		if i < len(s) && s[i] == '=' {
			if word == "" {
				return nil, &argError{base + start, "option has no name before '='"}
			}
			a.key = word
			i++
			word = ""
		}
		if i < len(s) && s[i] == '"' {
			if word != "" {
				return nil, &argError{base + i, "unexpected quote in the middle of a word"}
			}
			q, err := strconv.QuotedPrefix(s[i:])
			if err != nil {
				return nil, &argError{base + i, "unterminated or invalid quoted string"}
			}
			v, _ := strconv.Unquote(q)
			i += len(q)
			if i < len(s) && s[i] != ' ' && s[i] != '\t' {
				return nil, &argError{base + i, "want a space after a quoted string"}
			}
			a.value = v
		} else {
			vstart := i
			for i < len(s) && s[i] != ' ' && s[i] != '\t' {
				if s[i] == '"' || s[i] == '=' {
					return nil, &argError{base + i, fmt.Sprintf("unexpected %q in a value (quote values that hold it)", s[i])}
				}
				i++
			}
			if a.key != "" {
				a.value = s[vstart:i]
			} else {
				a.value = word
			}
		}
		args = append(args, a)
	}
}

// suggestVerb returns the verb closest to a misspelt one, or "".
func suggestVerb(word string) string {
	best, bestDist := "", 3
	for _, v := range verbs {
		if d := editDistance(strings.ToLower(word), string(v)); d < bestDist {
			best, bestDist = string(v), d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
