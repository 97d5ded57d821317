package agg

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"os"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
)

// spill is one temporary file that a blocking stage writes sorted runs of
// documents to once its memory limit is reached, and reads back merged.
// The file is unlinked as soon as it is created where the system allows it
// (so that a crash leaves nothing behind), and removed by close otherwise.
type spill struct {
	f       *os.File
	w       *bufio.Writer
	off     int64
	runs    []spillRun
	removed bool
}

// spillRun is the byte range of one run in the file.
type spillRun struct{ start, end int64 }

// newSpill creates the file in dir ("" for os.TempDir()).
func newSpill(dir string) (*spill, error) {
	f, err := os.CreateTemp(dir, "concord-spill-*")
	if err != nil {
		return nil, codes.New(codes.InternalError, "cannot create a file to spill to: %v", err)
	}
	s := &spill{f: f, w: bufio.NewWriterSize(f, 64<<10)}
	s.removed = os.Remove(f.Name()) == nil
	return s, nil
}

// writeRun appends one run: the documents next yields until it returns nil.
func (s *spill) writeRun(next func() bson.Raw) error {
	run := spillRun{start: s.off}
	for d := next(); d != nil; d = next() {
		if _, err := s.w.Write(d); err != nil {
			return spillError(err)
		}
		s.off += int64(len(d))
	}
	run.end = s.off
	s.runs = append(s.runs, run)
	return nil
}

// readers flushes the file and returns a reader per run, in the order the
// runs were written.
func (s *spill) readers() ([]*runReader, error) {
	if err := s.w.Flush(); err != nil {
		return nil, spillError(err)
	}
	out := make([]*runReader, len(s.runs))
	for i, r := range s.runs {
		out[i] = &runReader{r: bufio.NewReaderSize(io.NewSectionReader(s.f, r.start, r.end-r.start), 32<<10)}
	}
	return out, nil
}

// close closes and removes the file.
func (s *spill) close() error {
	if s == nil || s.f == nil {
		return nil
	}
	err := s.f.Close()
	if !s.removed {
		if rerr := os.Remove(s.f.Name()); err == nil {
			err = rerr
		}
	}
	s.f = nil
	if err != nil {
		return spillError(err)
	}
	return nil
}

// runReader reads the documents of one run back.
type runReader struct {
	r *bufio.Reader
}

// next returns the run's next document, or nil at its end. Each document
// is a fresh allocation.
func (rr *runReader) next() (bson.Raw, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(rr.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, spillError(err)
	}
	n := int(binary.LittleEndian.Uint32(hdr[:]))
	if n < 5 {
		return nil, spillError(errors.New("corrupt document length"))
	}
	d := make([]byte, n)
	copy(d, hdr[:])
	if _, err := io.ReadFull(rr.r, d[4:]); err != nil {
		return nil, spillError(err)
	}
	return d, nil
}

// spillError reports a failure of the spill file.
func spillError(err error) error {
	return codes.New(codes.InternalError, "error spilling to disk: %v", err)
}
