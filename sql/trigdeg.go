package sql

import "math"

// radiansPerDegree is PostgreSQL's RADIANS_PER_DEGREE, which degrees and radians and the functions of degrees
// scale by: a variable, so that 30 * radiansPerDegree is rounded as C's double arithmetic rounds it. The
// float64 conversions below keep a product from being fused with an addition, as C's are not.
var radiansPerDegree = 0.0174532925199432957692

// The values PostgreSQL's functions of degrees divide by, so that sind(30) is exactly 0.5 and tand(45) exactly 1.
var (
	sin30         = math.Sin(30 * radiansPerDegree)
	oneMinusCos60 = 1 - math.Cos(60*radiansPerDegree)
	asin05        = math.Asin(0.5)
	acos05        = math.Acos(0.5)
	atan1         = math.Atan(1)
	tan45         = sindQ1(45) / cosdQ1(45)
	cot45         = cosdQ1(45) / sindQ1(45)
)

func sind0To30(x float64) float64 { return (math.Sin(x*radiansPerDegree) / sin30) / 2 }

func cosd0To60(x float64) float64 { return 1 - ((1-math.Cos(x*radiansPerDegree))/oneMinusCos60)/2 }

// sindQ1 and cosdQ1 are the sine and cosine of x degrees, x in [0, 90].
func sindQ1(x float64) float64 {
	if x <= 30 {
		return sind0To30(x)
	}
	return cosd0To60(90 - x)
}

func cosdQ1(x float64) float64 {
	if x <= 60 {
		return cosd0To60(x)
	}
	return sind0To30(90 - x)
}

// asindQ1 and acosdQ1 are the arcsine and arccosine in degrees of x in [0, 1].
func asindQ1(x float64) float64 {
	if x <= 0.5 {
		return (math.Asin(x) / asin05) * 30
	}
	return 90 - float64((math.Acos(x)/acos05)*60)
}

func acosdQ1(x float64) float64 {
	if x <= 0.5 {
		return 90 - float64((math.Asin(x)/asin05)*30)
	}
	return (math.Acos(x) / acos05) * 60
}

// trigDegrees runs the trigonometric functions of degrees (sind ... atan2d) and degrees and radians by
// PostgreSQL's algorithms (float.c): the argument brought into the first quadrant, where 30, 45, 60 and 90 give
// exact answers. An infinite argument of sind, cosd, tand, cotd and one outside [-1, 1] of asind, acosd is 22003;
// NaN gives NaN. ok is false for another function.
func trigDegrees(name string, a []float64) (v any, ok bool, err error) {
	outOfRange := errorf(CodeNumericOutOfRange, "input is out of range")
	x := a[0]
	switch name {
	case "degrees":
		v, err := floatChecked(x/radiansPerDegree, x, 0, false)
		return v, true, err
	case "radians":
		v, err := floatChecked(x*radiansPerDegree, x, 0, false)
		if err == nil && v == 0.0 && x != 0 {
			err = errorf(CodeNumericOutOfRange, "value out of range: underflow")
		}
		return v, true, err
	case "sind", "cosd", "tand", "cotd", "asind", "acosd", "atand", "atan2d":
	default:
		return nil, false, nil
	}
	if math.IsNaN(x) || len(a) > 1 && math.IsNaN(a[1]) {
		return math.NaN(), true, nil
	}
	switch name {
	case "asind", "acosd":
		if x < -1 || x > 1 {
			return nil, true, outOfRange
		}
		switch {
		case name == "asind" && x >= 0:
			return asindQ1(x), true, nil
		case name == "asind":
			return -asindQ1(-x), true, nil
		case x >= 0:
			return acosdQ1(x), true, nil
		}
		return 90 + asindQ1(-x), true, nil
	case "atand":
		return (math.Atan(x) / atan1) * 45, true, nil
	case "atan2d":
		return (math.Atan2(x, a[1]) / atan1) * 45, true, nil
	}
	if math.IsInf(x, 0) {
		return nil, true, outOfRange
	}
	x = math.Mod(x, 360)
	sign := 1.0
	if name == "cosd" {
		if x < 0 {
			x = -x
		}
		if x > 180 {
			x = 360 - x
		}
		if x > 90 {
			x, sign = 180-x, -sign
		}
		return sign * cosdQ1(x), true, nil
	}
	if x < 0 {
		x, sign = -x, -sign
	}
	if x > 180 {
		x, sign = 360-x, -sign
	}
	switch name {
	case "sind":
		if x > 90 {
			x = 180 - x
		}
		return sign * sindQ1(x), true, nil
	}
	if x > 90 {
		x, sign = 180-x, -sign
	}
	var r float64
	if name == "tand" {
		r = sign * ((sindQ1(x) / cosdQ1(x)) / tan45)
	} else {
		r = sign * ((cosdQ1(x) / sindQ1(x)) / cot45)
	}
	if r == 0 {
		r = 0 // no negative zero
	}
	return r, true, nil
}

// hyperbolic runs sinh, cosh, tanh, asinh, acosh and atanh as PostgreSQL's: an overflow is an infinity, acosh
// below 1 and atanh outside [-1, 1] are 22003. ok is false for another function.
func hyperbolic(name string, x float64) (v any, ok bool, err error) {
	outOfRange := errorf(CodeNumericOutOfRange, "input is out of range")
	switch name {
	case "sinh":
		return math.Sinh(x), true, nil
	case "cosh":
		return math.Cosh(x), true, nil
	case "tanh":
		return math.Tanh(x), true, nil
	case "asinh":
		return math.Asinh(x), true, nil
	case "acosh":
		if x < 1 {
			return nil, true, outOfRange
		}
		return math.Acosh(x), true, nil
	case "atanh":
		if x < -1 || x > 1 {
			return nil, true, outOfRange
		}
		return math.Atanh(x), true, nil
	}
	return nil, false, nil
}
