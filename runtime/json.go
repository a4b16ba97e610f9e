package hotpath

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func (r *Report) writeJSON(w io.Writer, pretty bool) error {
	enc := json.NewEncoder(w)
	if pretty {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(r)
}

// ReadReport decodes a JSON report written by a guard. It refuses a report
// of a newer schema than this package knows.
func ReadReport(r io.Reader) (*Report, error) {
	var rep Report
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	if rep.Schema < 1 || rep.Schema > SchemaVersion {
		return nil, fmt.Errorf("report schema %d is not supported (want 1..%d)", rep.Schema, SchemaVersion)
	}
	return &rep, nil
}

// ReadReportFile reads a JSON report from a file.
func ReadReportFile(path string) (*Report, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep, err := ReadReport(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rep, nil
}
