package pgserver

import (
	"context"
	"fmt"

	"github.com/concorddb/concord/sql"
	"github.com/jackc/pgx/v5/pgproto3"
)

// CopyData is the copy-in sub-protocol of COPY ... FROM STDIN (sql.CopySource): CopyInResponse, then the
// client's CopyData messages up to CopyDone. CopyFail ends it with 57014 and data beyond sql.MaxCopyBytes with
// 54000; the copy messages the client sends after an error are dropped by serve, as PostgreSQL drops them.
func (c *conn) CopyData(ctx context.Context, in *sql.CopyIn) ([]byte, error) {
	format := int16(0)
	if in.Binary {
		format = 1
	}
	formats := make([]uint16, len(in.Columns))
	for i := range formats {
		formats[i] = uint16(format)
	}
	c.be.Send(&pgproto3.CopyInResponse{OverallFormat: byte(format), ColumnFormatCodes: formats})
	if err := c.flush(); err != nil {
		return nil, err
	}
	var data []byte
	for {
		msg, err := c.be.Receive()
		if err != nil {
			return nil, err
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if len(data)+len(m.Data) > sql.MaxCopyBytes {
				return nil, &sql.Error{Code: sql.CodeProgramLimitExceeded,
					Message: fmt.Sprintf("COPY data larger than %d bytes", sql.MaxCopyBytes),
					Hint:    "Split the data into several COPY statements."}
			}
			data = append(data, m.Data...)
		case *pgproto3.CopyDone:
			return data, nil
		case *pgproto3.CopyFail:
			return nil, &sql.Error{Code: sql.CodeQueryCanceled, Message: "COPY from stdin failed: " + m.Message}
		case *pgproto3.Flush, *pgproto3.Sync:
			// The protocol lets a client send these during a copy; they mean nothing here.
		case *pgproto3.Terminate:
			return nil, &sql.Error{Code: sql.CodeProtocolViolation, Message: "unexpected Terminate during COPY from stdin"}
		default:
			return nil, &sql.Error{Code: sql.CodeProtocolViolation,
				Message: fmt.Sprintf("unexpected message type %T during COPY from stdin", msg)}
		}
	}
}

// DecodeBinary decodes one field of the binary copy format as a binary Bind parameter of type oid.
func (c *conn) DecodeBinary(oid uint32, b []byte) (any, error) {
	return decodeParam(c.types, oid, 1, b)
}

// sendCopyOut sends the result of COPY ... TO STDOUT: CopyOutResponse, the header line and a CopyData message per
// row, CopyDone. CommandComplete is the caller's.
func (c *conn) sendCopyOut(r *sql.Result) error {
	c.startCopyOut(r)
	if _, err := c.sendCopyRows(r, r.Rows, nil); err != nil {
		return err
	}
	c.be.Send(&pgproto3.CopyDone{})
	return nil
}

// startCopyOut begins COPY ... TO STDOUT's data: the CopyOutResponse, and the header line if any.
func (c *conn) startCopyOut(r *sql.Result) {
	formats := make([]uint16, len(r.Columns))
	c.be.Send(&pgproto3.CopyOutResponse{OverallFormat: 0, ColumnFormatCodes: formats})
	if r.Copy.Header != nil {
		c.be.Send(&pgproto3.CopyData{Data: r.Copy.Header})
	}
}

// sendCopyRows sends rows as copy data lines, built in buf, which it returns for the next rows.
func (c *conn) sendCopyRows(r *sql.Result, rows [][]any, buf []byte) ([]byte, error) {
	for _, row := range rows {
		var err error
		if buf, err = r.Copy.Line(buf[:0], r.Columns, row); err != nil {
			return buf, err
		}
		c.be.Send(&pgproto3.CopyData{Data: buf})
		if c.unflushed += len(buf) + 5; c.unflushed >= flushEvery {
			if err := c.flush(); err != nil {
				return buf, err
			}
		}
	}
	return buf, nil
}
