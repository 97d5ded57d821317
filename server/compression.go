package server

import (
	"sync/atomic"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/wire"
)

// supportedCompressors are the compressors hello offers, in the order mongod's default
// networkMessageCompressors lists them.
var supportedCompressors = []wire.Compressor{wire.CompressorSnappy, wire.CompressorZstd, wire.CompressorZlib}

// compressionStats counts one compressor's bytes in and out of compression and decompression.
type compressionStats struct {
	compressorIn, compressorOut, decompressorIn, decompressorOut atomic.Int64
}

// negotiateCompression answers hello's compression field: the compressors of the client's list that Concord
// supports, in the client's order (the client uses the first). ok is false when the client sent no list or
// none of its compressors is supported; then hello's reply has no compression field, as mongod's has not.
func negotiateCompression(body bson.Raw) (bson.A, bool) {
	v, err := body.LookupErr("compression")
	if err != nil {
		return nil, false
	}
	arr, isArr := v.ArrayOK()
	if !isArr {
		return nil, false
	}
	vals, _ := arr.Values()
	var out bson.A
	seen := map[wire.Compressor]bool{}
	for _, e := range vals {
		name, ok := e.StringValueOK()
		if !ok {
			continue
		}
		if c, ok := wire.CompressorByName(name); ok && !seen[c] {
			seen[c] = true
			out = append(out, c.String())
		}
	}
	return out, len(out) > 0
}

// compressionStatus is serverStatus's network.compression section.
func (s *Server) compressionStatus() bson.D {
	var d bson.D
	for _, c := range supportedCompressors {
		st := &s.compression[c]
		d = append(d, bson.E{Key: c.String(), Value: bson.D{
			{Key: "compressor", Value: bson.D{{Key: "bytesIn", Value: st.compressorIn.Load()}, {Key: "bytesOut", Value: st.compressorOut.Load()}}},
			{Key: "decompressor", Value: bson.D{{Key: "bytesIn", Value: st.decompressorIn.Load()}, {Key: "bytesOut", Value: st.decompressorOut.Load()}}},
		}})
	}
	return d
}
