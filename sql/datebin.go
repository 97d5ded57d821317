package sql

import (
	"time"
)

// dateBin is PostgreSQL's date_bin(stride, source, origin): the start of the bin of width stride, counted from
// origin, that source falls in. It is arithmetic on microseconds, the same for a timestamp and a timestamp with
// time zone (a day is 24 hours); a stride of months or years is 0A000 and one not above zero 22008, as in
// PostgreSQL. An infinite source is returned as it is.
func dateBin(strideArg, sourceArg, originArg any) (any, error) {
	if strideArg == nil || sourceArg == nil || originArg == nil {
		return nil, nil
	}
	sv, err := coerce(strideArg, OIDInterval)
	if err != nil {
		return nil, err
	}
	tv, err := coerce(sourceArg, OIDTimestamptz)
	if err != nil {
		return nil, err
	}
	ov, err := coerce(originArg, OIDTimestamptz)
	if err != nil {
		return nil, err
	}
	stride, source, origin := sv.(interval), tv.(time.Time), ov.(time.Time)
	if infinite(source) != 0 {
		return source, nil
	}
	if infinite(origin) != 0 {
		return nil, errorf(CodeDatetimeFieldOverflow, "origin out of range")
	}
	if stride.months != 0 {
		return nil, errorf(CodeFeatureNotSupported, "timestamps cannot be binned into intervals containing months or years")
	}
	strideUS := int64(stride.days)*usPerDay + stride.us
	if strideUS <= 0 {
		return nil, errorf(CodeDatetimeFieldOverflow, "stride must be greater than zero")
	}
	diff := source.Sub(origin).Microseconds()
	delta := diff - diff%strideUS
	if origin.After(source) && strideUS > 1 && diff%strideUS != 0 {
		delta -= strideUS // the start of the bin, when origin is after source
	}
	return origin.Add(time.Duration(delta) * time.Microsecond), nil
}
