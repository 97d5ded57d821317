package sql

import (
	"math"
)

// regressionAggs are the aggregates of two float8s, f(Y, X), over the rows where neither is NULL: correlation,
// covariance and least-squares regression, as PostgreSQL computes them (float8_regr_accum's Youngs-Cramer sums).
var regressionAggs = map[string]bool{
	"corr": true, "covar_pop": true, "covar_samp": true, "regr_slope": true, "regr_intercept": true,
	"regr_r2": true, "regr_count": true, "regr_avgx": true, "regr_avgy": true, "regr_sxx": true, "regr_syy": true,
	"regr_sxy": true,
}

// regression is aggregate name of the (Y, X) pairs: NULL when too few pairs (or, for those dividing by it, when X
// or Y does not vary), and 22003 for a sum of finite values that overflows, as in PostgreSQL.
func regression(name string, pairs [][2]any) (any, error) {
	var n, sx, sy, sxx, syy, sxy float64
	for _, p := range pairs {
		yv, err := coerce(numeric(p[0]), OIDFloat8)
		if err != nil {
			return nil, err
		}
		xv, err := coerce(numeric(p[1]), OIDFloat8)
		if err != nil {
			return nil, err
		}
		y, x := yv.(float64), xv.(float64)
		n++
		sx += x
		sy += y
		if n > 1 {
			tx, ty := x*n-sx, y*n-sy
			scale := 1 / (n * (n - 1))
			sxx += tx * tx * scale
			syy += ty * ty * scale
			sxy += tx * ty * scale
			if math.IsInf(sx, 0) || math.IsInf(sy, 0) || math.IsInf(sxx, 0) || math.IsInf(syy, 0) || math.IsInf(sxy, 0) {
				if !math.IsInf(x, 0) && !math.IsInf(y, 0) && !math.IsInf(sx-x, 0) && !math.IsInf(sy-y, 0) {
					return nil, errorf(CodeNumericOutOfRange, "value out of range: overflow")
				}
			}
		} else {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				sxx, sxy = math.NaN(), math.NaN()
			}
			if math.IsNaN(y) || math.IsInf(y, 0) {
				syy, sxy = math.NaN(), math.NaN()
			}
		}
	}
	if name == "regr_count" {
		return int64(n), nil
	}
	if n < 1 || name == "covar_samp" && n < 2 {
		return nil, nil
	}
	switch name {
	case "covar_pop":
		return sxy / n, nil
	case "covar_samp":
		return sxy / (n - 1), nil
	case "regr_avgx":
		return sx / n, nil
	case "regr_avgy":
		return sy / n, nil
	case "regr_sxx":
		return sxx, nil
	case "regr_syy":
		return syy, nil
	case "regr_sxy":
		return sxy, nil
	case "corr":
		if sxx <= 0 || syy <= 0 {
			return nil, nil
		}
		return sxy / math.Sqrt(sxx*syy), nil
	}
	if sxx == 0 {
		return nil, nil
	}
	switch name {
	case "regr_slope":
		return sxy / sxx, nil
	case "regr_intercept":
		return (sy - sx*sxy/sxx) / n, nil
	}
	if syy == 0 { // regr_r2
		return 1.0, nil
	}
	return sxy * sxy / (sxx * syy), nil
}
