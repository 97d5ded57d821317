package server

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/wire"
)

// Wire versions announced in hello: 0 up to 21 (MongoDB 7.0), which every current driver and mongosh accept.
const (
	minWireVersion = 0
	maxWireVersion = 21
)

// handleHello answers hello, isMaster and ismaster: the server is the writable primary of a one-member
// replica set, so drivers enable sessions, retryable writes and transactions. It never includes
// topologyVersion (which would switch clients to streaming heartbeats). It offers the compressors of the
// client's compression list that Concord supports.
func handleHello(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	req.Conn.recordClientMetadata(req.Body)
	addr := s.advertisedAddr()
	primaryKey := "isWritablePrimary"
	if req.Name != "hello" {
		primaryKey = "ismaster"
	}
	d := bson.D{}
	if v, err := req.Body.LookupErr("helloOk"); err == nil && v.Type != bson.TypeNull {
		d = append(d, bson.E{Key: "helloOk", Value: true})
	}
	d = append(d,
		bson.E{Key: "hosts", Value: bson.A{addr}},
		bson.E{Key: "setName", Value: s.replSetName()},
		bson.E{Key: "setVersion", Value: int32(1)},
		bson.E{Key: primaryKey, Value: true},
		bson.E{Key: "secondary", Value: false},
		bson.E{Key: "primary", Value: addr},
		bson.E{Key: "me", Value: addr},
		bson.E{Key: "maxBsonObjectSize", Value: int32(wire.MaxBSONObjectSize)},
		bson.E{Key: "maxMessageSizeBytes", Value: int32(wire.MaxMessageSize)},
		bson.E{Key: "maxWriteBatchSize", Value: int32(wire.MaxWriteBatchSize)},
		bson.E{Key: "localTime", Value: bson.NewDateTimeFromTime(time.Now())},
		bson.E{Key: "logicalSessionTimeoutMinutes", Value: int32(logicalSessionTimeout / time.Minute)},
		bson.E{Key: "connectionId", Value: req.Conn.ID},
		bson.E{Key: "minWireVersion", Value: int32(minWireVersion)},
		bson.E{Key: "maxWireVersion", Value: int32(maxWireVersion)},
		bson.E{Key: "readOnly", Value: false},
	)
	if list, ok := negotiateCompression(req.Body); ok {
		d = append(d, bson.E{Key: "compression", Value: list})
	}
	return s.helloAuth(ctx, req, d), nil
}
