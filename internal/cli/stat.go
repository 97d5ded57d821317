package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// defaultURI is the server `concord stat` and the demos' --uri reach by default: `concord serve`'s address.
const defaultURI = "mongodb://127.0.0.1:27017/?directConnection=true"

// Stat runs `concord stat`: a mongostat-like live table of any MongoDB-compatible server, from the deltas of
// serverStatus between samples. On a terminal the table redraws in place; piped, it prints one line per
// interval (or one JSON object per line with --json).
func Stat(args []string) error {
	fs := flag.NewFlagSet("stat", flag.ContinueOnError)
	uri := fs.String("uri", defaultURI, "connection string of the server to watch")
	interval := fs.Duration("interval", time.Second, "time between samples")
	asJSON := fs.Bool("json", false, "print one JSON object per sample")
	rows := fs.Int("n", 0, "stop after this many rows (0: until interrupted)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *interval <= 0 {
		return fmt.Errorf("--interval must be positive")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	client, err := mongo.Connect(options.Client().ApplyURI(*uri).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		return err
	}
	defer client.Disconnect(context.Background())
	cfg := statConfig{interval: *interval, json: *asJSON, rows: *rows, tty: isTerminal(os.Stdout)}
	err = runStat(ctx, client, cfg, os.Stdout)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// statConfig is what runStat needs from the flags.
type statConfig struct {
	interval time.Duration
	json     bool
	rows     int  // 0: until ctx ends
	tty      bool // redraw in place
	// sampled, when set, runs after each sample before the wait for the next (tests run their workload there).
	sampled func(n int)
}

// statSample is the part of serverStatus `concord stat` shows; has* say which sections the server reported.
type statSample struct {
	at                                              time.Time
	insert, query, update, delete, getmore, command int64
	conflicts                                       int64
	committed, aborted                              int64
	conns                                           int64
	hasTxn, hasConcord                              bool
	waits                                           int64
	hot                                             string
}

// readSample runs serverStatus and reads a sample from it.
func readSample(ctx context.Context, c *mongo.Client) (statSample, error) {
	raw, err := c.Database("admin").RunCommand(ctx, bson.D{{Key: "serverStatus", Value: 1}}).Raw()
	if err != nil {
		return statSample{}, err
	}
	n := func(path ...string) int64 {
		v, err := raw.LookupErr(path...)
		if err != nil {
			return 0
		}
		i, _ := v.AsInt64OK()
		return i
	}
	s := statSample{
		at:     time.Now(),
		insert: n("opcounters", "insert"), query: n("opcounters", "query"), update: n("opcounters", "update"),
		delete: n("opcounters", "delete"), getmore: n("opcounters", "getmore"), command: n("opcounters", "command"),
		conflicts: n("metrics", "operation", "writeConflicts"),
		committed: n("transactions", "totalCommitted"), aborted: n("transactions", "totalAborted"),
		conns: n("connections", "current"),
	}
	_, err = raw.LookupErr("transactions", "totalCommitted")
	s.hasTxn = err == nil
	if _, err := raw.LookupErr("concord"); err == nil {
		s.hasConcord = true
		s.waits = n("concord", "writeWaits")
		if hot, err := raw.LookupErr("concord", "hotDocuments", "0"); err == nil {
			if d, ok := hot.DocumentOK(); ok {
				s.hot = hotLabel(d)
			}
		}
	}
	return s, nil
}

// hotLabel is a hot document as the table shows it: "ns _id (conflicts+waits)" with decayed counts rounded.
func hotLabel(d bson.Raw) string {
	ns, _ := d.Lookup("ns").StringValueOK()
	id := "?"
	if v, err := d.LookupErr("_id"); err == nil {
		id = relaxedJSON(v)
	}
	c, _ := d.Lookup("conflicts").DoubleOK()
	w, _ := d.Lookup("waits").DoubleOK()
	return fmt.Sprintf("%s %s (%.0f)", ns, id, c+w)
}

// statRow is one line of the table: rates per second over one interval.
type statRow struct {
	Insert    int64   `json:"insert"`
	Query     int64   `json:"query"`
	Update    int64   `json:"update"`
	Delete    int64   `json:"delete"`
	Getmore   int64   `json:"getmore"`
	Command   int64   `json:"command"`
	Conflicts int64   `json:"conflicts"`
	Waits     *int64  `json:"waits,omitempty"`
	Commits   *int64  `json:"commits,omitempty"`
	Aborts    *int64  `json:"aborts,omitempty"`
	Conn      int64   `json:"conn"`
	Hot       *string `json:"hot,omitempty"`
	Time      string  `json:"time"`
}

// row computes the rates between two samples, per second of the configured interval as mongostat does.
func row(prev, cur statSample, interval time.Duration) statRow {
	secs := interval.Seconds()
	rate := func(a, b int64) int64 {
		d := float64(b - a)
		if d < 0 {
			d = 0 // the server restarted
		}
		return int64(d/secs + 0.5)
	}
	r := statRow{
		Insert: rate(prev.insert, cur.insert), Query: rate(prev.query, cur.query), Update: rate(prev.update, cur.update),
		Delete: rate(prev.delete, cur.delete), Getmore: rate(prev.getmore, cur.getmore), Command: rate(prev.command, cur.command),
		Conflicts: rate(prev.conflicts, cur.conflicts), Conn: cur.conns, Time: cur.at.Format("15:04:05"),
	}
	if cur.hasTxn {
		c, a := rate(prev.committed, cur.committed), rate(prev.aborted, cur.aborted)
		r.Commits, r.Aborts = &c, &a
	}
	if cur.hasConcord {
		w := rate(prev.waits, cur.waits)
		r.Waits = &w
		hot := cur.hot
		if hot == "" {
			hot = "-"
		}
		r.Hot = &hot
	}
	return r
}

// statColumns returns the header and the cells of r; the columns are those the server reports.
func statColumns(r statRow) (header, cells []string) {
	add := func(h string, v any) {
		header = append(header, h)
		cells = append(cells, fmt.Sprint(v))
	}
	add("insert", r.Insert)
	add("query", r.Query)
	add("update", r.Update)
	add("delete", r.Delete)
	add("getmore", r.Getmore)
	add("command", r.Command)
	add("conflicts", r.Conflicts)
	if r.Waits != nil {
		add("waits", *r.Waits)
	}
	if r.Commits != nil {
		add("commits", *r.Commits)
		add("aborts", *r.Aborts)
	}
	add("conn", r.Conn)
	add("time", r.Time)
	if r.Hot != nil {
		add("hottest", *r.Hot)
	}
	return header, cells
}

// statWidths are the columns' widths; the last column (the hottest document) is left unpadded.
var statWidths = map[string]int{"time": 8, "conflicts": 9, "commits": 7, "getmore": 7, "command": 7}

// formatLine right-aligns cells under the header names.
func formatLine(header, cells []string) string {
	var b strings.Builder
	for i, c := range cells {
		w := max(statWidths[header[i]], 6)
		if i > 0 {
			b.WriteByte(' ')
		}
		if header[i] == "hottest" {
			b.WriteString(c)
			continue
		}
		fmt.Fprintf(&b, "%*s", w, c)
	}
	return b.String()
}

// ttyRows is how many rows the in-place table keeps.
const ttyRows = 20

// runStat samples c every cfg.interval and writes the table to w until ctx ends or cfg.rows rows are written.
func runStat(ctx context.Context, c *mongo.Client, cfg statConfig, w io.Writer) error {
	prev, err := readSample(ctx, c)
	if err != nil {
		return err
	}
	if cfg.sampled != nil {
		cfg.sampled(0)
	}
	tick := time.NewTicker(cfg.interval)
	defer tick.Stop()
	var lines []string
	enc := json.NewEncoder(w)
	for n := 1; cfg.rows == 0 || n <= cfg.rows; n++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		cur, err := readSample(ctx, c)
		if err != nil {
			return err
		}
		r := row(prev, cur, cfg.interval)
		prev = cur
		if cfg.sampled != nil {
			cfg.sampled(n)
		}
		if cfg.json {
			if err := enc.Encode(r); err != nil {
				return err
			}
			continue
		}
		header, cells := statColumns(r)
		line := formatLine(header, cells)
		if !cfg.tty {
			if n == 1 {
				fmt.Fprintln(w, formatLine(header, header))
			}
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
			continue
		}
		lines = append(lines, line)
		if len(lines) > ttyRows {
			lines = lines[1:]
		}
		// Home the cursor, clear the screen, draw the header and the last rows.
		fmt.Fprint(w, "\x1b[H\x1b[2J"+formatLine(header, header)+"\n"+strings.Join(lines, "\n")+"\n")
	}
	return nil
}

// isTerminal reports whether f is a character device (a terminal, not a pipe or a file).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// relaxedJSON is v in relaxed extended JSON (1, "a", {"$oid": ...}), as mongosh shows it.
func relaxedJSON(v bson.RawValue) string {
	b, err := bson.MarshalExtJSON(bson.D{{Key: "v", Value: v}}, false, false)
	if err != nil {
		return v.String()
	}
	return strings.TrimSuffix(strings.TrimPrefix(string(b), `{"v":`), "}")
}
