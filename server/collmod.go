package server

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/concorddb/concord"
	"github.com/concorddb/concord/internal/codes"
	"github.com/concorddb/concord/internal/frontend"
	"github.com/concorddb/concord/internal/query/agg"
)

// Collection options: create's and collMod's validator, validationLevel and validationAction, and a view's
// viewOn, pipeline and collation (views.go in the engine resolves views; validation happens where documents
// are written).

// createOptions reads the options of create: {create, validator?, validationLevel?, validationAction?,
// viewOn?, pipeline?, collation?}. Options Concord does not implement are InvalidOptions (72).
func createOptions(a *cmdArgs) (concord.CollectionOptions, error) {
	var o concord.CollectionOptions
	for _, opt := range []string{"clusteredIndex", "timeseries", "capped"} {
		if a.has(opt) {
			if on, ok := a.raw(opt).BooleanOK(); ok && !on {
				continue
			}
			return o, codes.New(codes.InvalidOptions, "create option '%s' is not supported", opt)
		}
	}
	if err := readValidation(a, &o); err != nil {
		return o, err
	}
	if err := readView(a, &o); err != nil {
		return o, err
	}
	if o.IsView() && (o.Validator != nil || o.ValidationLevel != "" || o.ValidationAction != "") {
		return o, codes.New(codes.InvalidOptions, "Cannot specify both 'viewOn' and validation options")
	}
	return o, nil
}

// readValidation reads validator, validationLevel and validationAction into o.
func readValidation(a *cmdArgs, o *concord.CollectionOptions) error {
	if a.has("validator") {
		v, err := a.doc("validator")
		if err != nil {
			return err
		}
		o.Validator = v
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"validationLevel", &o.ValidationLevel}, {"validationAction", &o.ValidationAction}} {
		if !a.has(f.name) {
			continue
		}
		s, err := a.str(f.name)
		if err != nil {
			return err
		}
		*f.dst = s
	}
	return nil
}

// readView reads viewOn, pipeline and collation into o; a pipeline without viewOn, a $out or $merge in it, or
// a stage the aggregation does not know are refused.
func readView(a *cmdArgs, o *concord.CollectionOptions) error {
	if a.has("viewOn") {
		s, err := a.str("viewOn")
		if err != nil {
			return err
		}
		if s == "" {
			return codes.New(codes.BadValue, "'viewOn' cannot be empty")
		}
		o.ViewOn = s
	}
	if a.has("pipeline") {
		if o.ViewOn == "" {
			return codes.New(codes.BadValue, "'pipeline' requires 'viewOn' to also be specified")
		}
		stages, err := a.docArray("pipeline")
		if err != nil {
			return err
		}
		for _, st := range stages {
			for _, w := range []string{"$out", "$merge"} {
				if _, err := st.LookupErr(w); err == nil {
					return codes.New(codes.OptionNotSupportedOnView, "%s cannot be used in a view definition", w)
				}
			}
		}
		if _, err := agg.Compile(stages); err != nil {
			return err
		}
		o.Pipeline = bson.Raw(a.raw("pipeline").Value)
	} else if o.ViewOn != "" {
		o.Pipeline = bson.Raw(emptyDoc)
	}
	if a.has("collation") {
		if o.ViewOn == "" {
			return codes.New(codes.InvalidOptions, "create option 'collation' is not supported")
		}
		c, err := a.doc("collation")
		if err != nil {
			return err
		}
		o.Collation = c
	}
	return nil
}

// handleCollMod runs collMod: {collMod: <coll>, validator?, validationLevel?, validationAction?, viewOn?,
// pipeline?, index?: {name | keyPattern, hidden?, expireAfterSeconds?}, changeStreamPreAndPostImages?: {enabled:
// bool}}. The reply names each changed index option's old and new value (hidden_old / hidden_new,
// expireAfterSeconds_old / expireAfterSeconds_new), as mongod's does. A missing namespace is NamespaceNotFound (26); other options are InvalidOptions (72).
func handleCollMod(ctx context.Context, s *Server, req *Request) (bson.D, error) {
	a, collName, err := parseCollectionArgs(req)
	if err != nil {
		return nil, err
	}
	elems, err := req.Body.Elements()
	if err != nil {
		return nil, codes.New(codes.InvalidBSON, "invalid command document: %v", err)
	}
	for _, e := range elems {
		switch k := e.Key(); k {
		case req.Name, "validator", "validationLevel", "validationAction", "viewOn", "pipeline", "changeStreamPreAndPostImages", "index", "lsid", "txnNumber",
			"autocommit", "startTransaction", "readConcern", "writeConcern", "comment", "maxTimeMS", "apiVersion",
			"apiStrict", "apiDeprecationErrors":
		default:
			if k[0] != '$' {
				return nil, codes.New(codes.InvalidOptions, "collMod option '%s' is not supported", k)
			}
		}
	}
	var images *bool
	if a.has("changeStreamPreAndPostImages") {
		on, err := imagesOption(a)
		if err != nil {
			return nil, err
		}
		images = &on
	}
	var mod concord.CollectionOptions
	if err := readValidation(a, &mod); err != nil {
		return nil, err
	}
	if err := readView(a, &mod); err != nil {
		return nil, err
	}
	err = s.DB.Database(req.DB).ModifyCollection(ctx, collName, func(o *concord.CollectionOptions) error {
		if o.IsView() && (a.has("validator") || a.has("validationLevel") || a.has("validationAction")) {
			return codes.New(codes.InvalidOptions, "option not supported on a view: validator")
		}
		if !o.IsView() && (a.has("viewOn") || a.has("pipeline")) {
			return codes.New(codes.InvalidOptions, "option only supported on a view: viewOn")
		}
		if a.has("validator") {
			o.Validator = mod.Validator
			if len(o.Validator) <= 5 {
				o.Validator = nil
			}
		}
		if a.has("validationLevel") {
			o.ValidationLevel = mod.ValidationLevel
		}
		if a.has("validationAction") {
			o.ValidationAction = mod.ValidationAction
		}
		if a.has("viewOn") {
			o.ViewOn, o.Pipeline = mod.ViewOn, mod.Pipeline
		}
		return nil
	})
	if codes.CodeOf(err) == codes.NamespaceNotFound {
		return nil, codes.New(codes.NamespaceNotFound, "ns does not exist: %s", ns(req.DB, collName))
	}
	if err != nil {
		return nil, commandError(err)
	}
	reply := bson.D{}
	if a.has("index") {
		d, err := a.doc("index")
		if err != nil {
			return nil, err
		}
		if reply, err = collModIndex(ctx, s, req.DB, collName, d); err != nil {
			return nil, err
		}
	}
	// frontend.CollMod records the change streams' modify event, which a collMod gets even when it changes
	// nothing, and sets changeStreamPreAndPostImages when given (images nil leaves it).
	if err := frontend.CollMod(ctx, s.DB, req.DB, collName, images); err != nil {
		return nil, commandError(err)
	}
	return reply, nil
}

// viewWriteError refuses a write or index command on a view, as mongod does, or returns nil.
func viewWriteError(ctx context.Context, s *Server, req *Request, collName string) error {
	specs, err := s.DB.Database(req.DB).ListCollectionSpecifications(ctx, bson.D{{Key: "name", Value: collName}})
	if err != nil || len(specs) == 0 || !specs[0].ReadOnly {
		return nil
	}
	if req.Name == "createIndexes" {
		return codes.New(codes.CommandNotSupportedOnView, "Cannot create indexes on a view: %s", ns(req.DB, collName))
	}
	return codes.New(codes.CommandNotSupportedOnView, "Namespace %s is a view, not a collection", ns(req.DB, collName))
}

// viewWriteCommands are the commands refused on a view before they run.
var viewWriteCommands = map[string]bool{
	"insert": true, "update": true, "delete": true, "findAndModify": true, "findandmodify": true, "createIndexes": true,
	"validate": true, "compact": true,
}

// logValidationWarnings logs the writes that broke a validator whose validationAction is "warn", as mongod's
// "Document would fail validation" (log id 20294).
func (s *Server) logValidationWarnings(st *concord.OpStats) {
	for _, w := range st.ValidationWarnings {
		attr := bson.D{{Key: "namespace", Value: w.NS.String()}, {Key: "document", Value: bson.D{{Key: "_id", Value: w.ErrInfo[0].Value}}},
			{Key: "errInfo", Value: w.ErrInfo}}
		js, _ := bson.MarshalExtJSON(attr, false, false)
		s.logEvent("STORAGE", 20294, "Document would fail validation", attr, "Document would fail validation "+string(js))
	}
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
