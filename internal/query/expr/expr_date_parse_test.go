package expr_test

// dateParseCases cover expr_date_parse.go and the month-name specifiers
// of $dateToString, from the manual's pages:
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateFromString/
// https://www.mongodb.com/docs/manual/reference/operator/aggregation/dateToString/#format-specifiers
var dateParseCases = []aggExprCase{
	{"dateFromString/iso", `{"$dateFromString": {"dateString": "2017-02-08T12:10:40.787"}}`, `{}`, `{"$date": "2017-02-08T12:10:40.787Z"}`, 0},
	{"dateFromString/timezone", `{"$dateFromString": {"dateString": "2017-02-08T12:10:40.787", "timezone": "America/New_York"}}`, `{}`, `{"$date": "2017-02-08T17:10:40.787Z"}`, 0},
	{"dateFromString/offset-in-string", `{"$dateFromString": {"dateString": "2017-02-08T12:10:40.787+02:00"}}`, `{}`, `{"$date": "2017-02-08T10:10:40.787Z"}`, 0},
	{"dateFromString/offset-and-timezone", `{"$dateFromString": {"dateString": "2017-02-08T12:10:40Z", "timezone": "+01"}}`, `{}`, ``, 241},
	{"dateFromString/format", `{"$dateFromString": {"dateString": "15-06-2018", "format": "%d-%m-%Y"}}`, `{}`, `{"$date": "2018-06-15T00:00:00Z"}`, 0},
	{"dateFromString/format-time", `{"$dateFromString": {"dateString": "2018/06/15 07:08:09.5 +0130", "format": "%Y/%m/%d %H:%M:%S.%L %z"}}`, `{}`, `{"$date": "2018-06-15T05:38:09.500Z"}`, 0},
	{"dateFromString/format-minutes-offset", `{"$dateFromString": {"dateString": "2018-06-15 -60", "format": "%Y-%m-%d %Z"}}`, `{}`, `{"$date": "2018-06-15T01:00:00Z"}`, 0},
	{"dateFromString/month-names", `{"$dateFromString": {"dateString": "15 June 2018 / Jun", "format": "%d %B %Y / %b"}}`, `{}`, `{"$date": "2018-06-15T00:00:00Z"}`, 0},
	{"dateFromString/iso-week", `{"$dateFromString": {"dateString": "2017-W06-3", "format": "%G-W%V-%u"}}`, `{}`, `{"$date": "2017-02-08T00:00:00Z"}`, 0},
	{"dateFromString/day-of-year", `{"$dateFromString": {"dateString": "2018-032", "format": "%Y-%j"}}`, `{}`, `{"$date": "2018-02-01T00:00:00Z"}`, 0},
	{"dateFromString/mismatch", `{"$dateFromString": {"dateString": "2018/06/15", "format": "%Y-%m-%d"}}`, `{}`, ``, 241},
	{"dateFromString/trailing", `{"$dateFromString": {"dateString": "2018-06-15x", "format": "%Y-%m-%d"}}`, `{}`, ``, 241},
	{"dateFromString/bad-day", `{"$dateFromString": {"dateString": "2018-02-30", "format": "%Y-%m-%d"}}`, `{}`, ``, 241},
	{"dateFromString/unparseable-on-error", `{"$dateFromString": {"dateString": "yesterday", "onError": "bad"}}`, `{}`, `"bad"`, 0},
	{"dateFromString/not-string-on-error", `{"$dateFromString": {"dateString": 5, "onError": 0}}`, `{}`, `0`, 0},
	{"dateFromString/not-string", `{"$dateFromString": {"dateString": 5}}`, `{}`, ``, 241},
	{"dateFromString/null-on-null", `{"$dateFromString": {"dateString": null, "onNull": "none"}}`, `{}`, `"none"`, 0},
	{"dateFromString/missing", `{"$dateFromString": {"dateString": "$x"}}`, `{}`, `null`, 0},
	{"dateFromString/null-format", `{"$dateFromString": {"dateString": "2018", "format": null}}`, `{}`, `null`, 0},
	{"dateFromString/format-not-string", `{"$dateFromString": {"dateString": "2018", "format": 1}}`, `{}`, ``, 40684},
	{"dateFromString/bad-specifier", `{"$dateFromString": {"dateString": "2018", "format": "%Q"}}`, `{}`, ``, 18536},
	{"dateFromString/not-object", `{"$dateFromString": "2018"}`, `{}`, ``, 40540},
	{"dateFromString/unknown", `{"$dateFromString": {"dateString": "2018", "x": 1}}`, `{}`, ``, 40541},
	{"dateFromString/no-dateString", `{"$dateFromString": {}}`, `{}`, ``, 40542},
	{"dateToString/month-names", `{"$dateToString": {"date": "$d", "format": "%b %B"}}`, `{"d": {"$date": "2018-06-15T00:00:00Z"}}`, `"Jun June"`, 0},
}

func init() { aggExprCases = append(aggExprCases, dateParseCases...) }
