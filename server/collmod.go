package server

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
)

// handleCollMod runs collMod: {collMod: <coll>, index: {name | keyPattern, hidden, expireAfterSeconds},
// changeStreamPreAndPostImages: {enabled: bool}}; every collMod emits a change streams' modify event.
// The reply names each changed option's old and new value (hidden_old / hidden_new, expireAfterSeconds_old /
// expireAfterSeconds_new), as mongod's does. A missing collection is NamespaceNotFound (26), a missing index
// IndexNotFound (27). Options Concord does not implement are refused with InvalidOptions (72).
func handleCollMod(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	reply := bson.D{}
	var images *bool
	elems, _ := req.Body.Elements()
	for _, e := range elems {
		switch f := e.Key(); f {
		case "collMod", "$db", "lsid", "$clusterTime", "writeConcern", "comment", "$readPreference", "txnNumber",
			"apiVersion", "apiStrict", "apiDeprecationErrors", "maxTimeMS":
		case "index":
			d, err := a.doc("index")
			if err != nil {
				return nil, err
			}
			r, err := collModIndex(ctx, s, req.DB, collName, d)
			if err != nil {
				return nil, err
			}
			reply = append(reply, r...)
		case "changeStreamPreAndPostImages":
			on, err := imagesOption(a)
			if err != nil {
				return nil, err
			}
			images = &on
		default:
			return nil, codes.New(codes.InvalidOptions, "unknown option to collMod: %s", f)
		}
	}
	if err := frontend.CollMod(ctx, s.DB, req.DB, collName, images); err != nil {
		return nil, commandError(err)
	}
	return reply, nil
}

// collModIndex applies collMod's index option.
func collModIndex(ctx context.Context, s *Server, db, coll string, d bson.Raw) (bson.D, error) {
	var ch frontend.IndexChange
	elems, err := d.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid index option: %v", err)
	}
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "name":
			name, ok := v.StringValueOK()
			if !ok {
				return nil, wrongType("collMod", "index.name", v, "type 'string'")
			}
			ch.Name = name
		case "keyPattern":
			kp, ok := v.DocumentOK()
			if !ok {
				return nil, wrongType("collMod", "index.keyPattern", v, "type 'object'")
			}
			if err := bson.Unmarshal(kp, &ch.Key); err != nil {
				return nil, codes.New(codes.BadValue, "invalid keyPattern: %v", err)
			}
		case "hidden":
			h, err := rawBool("collMod", "index.hidden", v)
			if err != nil {
				return nil, err
			}
			ch.Hidden = &h
		case "expireAfterSeconds":
			n, ok := v.AsInt64OK()
			if !ok {
				return nil, wrongType("collMod", "index.expireAfterSeconds", v, "type 'long'")
			}
			if n < 0 {
				return nil, codes.New(codes.InvalidOptions, "TTL index 'expireAfterSeconds' option must be within an acceptable range, try a lower number")
			}
			ch.ExpireAfterSeconds = &n
		default:
			return nil, codes.New(codes.InvalidOptions, "unknown option to collMod index: %s", e.Key())
		}
	}
	if ch.Name == "" && ch.Key == nil || ch.Name != "" && ch.Key != nil {
		return nil, codes.New(codes.InvalidOptions, "must specify either index name or key pattern for collMod")
	}
	if ch.Hidden == nil && ch.ExpireAfterSeconds == nil {
		return nil, codes.New(codes.InvalidOptions, "no expireAfterSeconds or hidden field")
	}
	before, after, err := frontend.ModifyIndex(ctx, s.DB, db, coll, ch)
	if err != nil {
		return nil, commandError(err)
	}
	var out bson.D
	if ch.ExpireAfterSeconds != nil {
		out = append(out, bson.E{Key: "expireAfterSeconds_old", Value: before.ExpireAfterSeconds},
			bson.E{Key: "expireAfterSeconds_new", Value: after.ExpireAfterSeconds})
	}
	if ch.Hidden != nil && before.Hidden != after.Hidden {
		out = append(out, bson.E{Key: "hidden_old", Value: before.Hidden}, bson.E{Key: "hidden_new", Value: after.Hidden})
	}
	return out, nil
}
