package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode"
)

// The synthetic document stands in for the large specs the portal must
// render quickly (a 2 MB OpenAPI 3.0 description of a whole platform): the real fixtures stop
// at 0.5 MB, and a generated one has a size and a shape that do not drift
// between runs. It is built from fixed word lists and a seeded PCG, and
// encoding/json sorts map keys, so the bytes are the same on every run.

// resources are the nouns of the synthetic API: one tag and 22 operations each.
var resources = []string{
	"account", "invoice", "payment", "refund", "customer", "order", "product", "price",
	"coupon", "discount", "subscription", "plan", "shipment", "parcel", "warehouse", "supplier",
	"purchase", "quote", "contract", "ticket", "agent", "team", "project", "task",
	"milestone", "document", "folder", "report", "dashboard", "widget", "alert", "incident",
	"device", "sensor", "reading", "location", "vehicle", "driver", "route", "trip",
	"booking", "room", "venue", "course", "lesson", "student", "grade", "badge",
}

// subs are the sub-collections every resource has, each backed by a shared
// component schema (Note, Attachment, Event, AuditEntry).
var subs = []struct{ path, schema, id string }{
	{"notes", "Note", "noteId"}, {"attachments", "Attachment", "attachmentId"},
	{"events", "Event", "eventId"}, {"audit-entries", "AuditEntry", "auditEntryId"},
}

var words = strings.Fields(`the a of to and for with by from each every when only once after before
	returns lists creates updates removes replaces record records field fields value values status
	customer request response page cursor token limit filter sort order time window state change
	audit event note file owner team region currency amount total balance schedule retry webhook
	idempotent key header body version draft published archived pending active closed failed
	succeeded canceled processing queued delivered returned gateway service client server cache`)

// spec is the generated document and what the benchmark needs to know of it.
type spec struct {
	JSON       []byte
	Operations int
	Schemas    int
	Tags       int
	// Queries hit the catalog's search: operation IDs, schema names and
	// parameter names of the document, in a fixed order.
	Queries []string
	// Operation is the operationId of the operation page measured: the
	// create operation of the first resource (a request body with nested
	// objects, arrays and a oneOf, plus parameters).
	Operation string
}

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func pascal(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r == '-' || r == '_' {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// gen builds the document. Everything random comes from rng, seeded with
// constants.
type gen struct{ rng *rand.Rand }

func (g *gen) sentence(n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = words[g.rng.IntN(len(words))]
	}
	w[0] = pascal(w[0])
	return strings.Join(w, " ") + "."
}

func (g *gen) text(sentences int) string {
	s := make([]string, sentences)
	for i := range s {
		s[i] = g.sentence(8 + g.rng.IntN(8))
	}
	return strings.Join(s, " ")
}

func (g *gen) uuid() string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", g.rng.Uint32(), g.rng.Uint32()&0xffff,
		g.rng.Uint32()&0xfff, g.rng.Uint32()&0xfff, g.rng.Uint64()&0xffffffffffff)
}

// sharedSchemas are the components every resource refers to.
func (g *gen) sharedSchemas() obj {
	s := obj{}
	s["Status"] = obj{"type": "string", "enum": []string{"draft", "pending", "active", "suspended", "closed", "archived"},
		"description": g.text(2), "example": "active"}
	s["Currency"] = obj{"type": "string", "enum": []string{"EUR", "USD", "GBP", "JPY", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK"},
		"example": "EUR", "description": "ISO 4217 code."}
	s["Money"] = obj{"type": "object", "required": []string{"amount", "currency"}, "description": g.text(1),
		"properties": obj{
			"amount":   obj{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]{1,4})?$`, "example": "129.90", "description": "Decimal, as a string."},
			"currency": ref("Currency"),
		},
		"example": obj{"amount": "129.90", "currency": "EUR"}}
	s["Address"] = obj{"type": "object", "required": []string{"line1", "city", "country"}, "description": g.text(1),
		"properties": obj{
			"line1":       obj{"type": "string", "maxLength": 200, "example": "1 Main Street"},
			"line2":       obj{"type": "string", "maxLength": 200, "nullable": true},
			"city":        obj{"type": "string", "example": "Lyon"},
			"postal_code": obj{"type": "string", "example": "69001"},
			"region":      obj{"type": "string", "nullable": true},
			"country":     obj{"type": "string", "pattern": "^[A-Z]{2}$", "example": "FR"},
			"geo":         ref("GeoPoint"),
		}}
	s["GeoPoint"] = obj{"type": "object", "required": []string{"lat", "lon"},
		"properties": obj{
			"lat": obj{"type": "number", "format": "double", "minimum": -90, "maximum": 90, "example": 45.76},
			"lon": obj{"type": "number", "format": "double", "minimum": -180, "maximum": 180, "example": 4.83},
		}}
	s["Contact"] = obj{"type": "object", "required": []string{"name"}, "description": g.text(1),
		"properties": obj{
			"name":  obj{"type": "string", "example": "Ada Lovelace"},
			"email": obj{"type": "string", "format": "email", "example": "ada@example.com"},
			"phone": obj{"type": "string", "example": "+33 4 00 00 00 00"},
			"role":  obj{"type": "string", "enum": []string{"owner", "billing", "technical", "legal", "other"}, "example": "billing"},
		}}
	s["Metadata"] = obj{"type": "object", "additionalProperties": obj{"type": "string", "maxLength": 500},
		"description": "Up to 50 keys of your own.", "example": obj{"source": "import", "batch": "42"}}
	s["Pagination"] = obj{"type": "object", "required": []string{"has_more"},
		"properties": obj{
			"next_cursor": obj{"type": "string", "nullable": true, "example": "c2VxOjEwMA"},
			"has_more":    obj{"type": "boolean", "example": true},
			"total":       obj{"type": "integer", "format": "int64", "minimum": 0, "example": 1234},
		}}
	s["Link"] = obj{"type": "object", "required": []string{"href"},
		"properties": obj{"href": obj{"type": "string", "format": "uri"}, "rel": obj{"type": "string", "example": "self"}}}
	s["Card"] = obj{"type": "object", "required": []string{"type", "last4"},
		"properties": obj{
			"type":      obj{"type": "string", "enum": []string{"card"}},
			"brand":     obj{"type": "string", "enum": []string{"visa", "mastercard", "amex", "other"}, "example": "visa"},
			"last4":     obj{"type": "string", "pattern": "^[0-9]{4}$", "example": "4242"},
			"exp_month": obj{"type": "integer", "minimum": 1, "maximum": 12, "example": 7},
			"exp_year":  obj{"type": "integer", "minimum": 2000, "example": 2030},
		}}
	s["BankAccount"] = obj{"type": "object", "required": []string{"type", "iban"},
		"properties": obj{
			"type":   obj{"type": "string", "enum": []string{"bank_account"}},
			"iban":   obj{"type": "string", "example": "FR7630006000011234567890189"},
			"bic":    obj{"type": "string", "example": "AGRIFRPP"},
			"holder": ref("Contact"),
		}}
	s["Wallet"] = obj{"type": "object", "required": []string{"type", "provider"},
		"properties": obj{
			"type":     obj{"type": "string", "enum": []string{"wallet"}},
			"provider": obj{"type": "string", "enum": []string{"apple_pay", "google_pay", "paypal"}, "example": "paypal"},
		}}
	s["PaymentMethod"] = obj{"description": g.text(1),
		"oneOf": []any{ref("Card"), ref("BankAccount"), ref("Wallet")},
		"discriminator": obj{"propertyName": "type", "mapping": obj{
			"card": "#/components/schemas/Card", "bank_account": "#/components/schemas/BankAccount", "wallet": "#/components/schemas/Wallet"}}}
	s["Note"] = obj{"type": "object", "required": []string{"id", "body"}, "description": g.text(1),
		"properties": obj{
			"id":         obj{"type": "string", "format": "uuid", "readOnly": true, "example": g.uuid()},
			"body":       obj{"type": "string", "maxLength": 10000, "example": "Called the customer back."},
			"author":     ref("Contact"),
			"pinned":     obj{"type": "boolean", "default": false},
			"created_at": obj{"type": "string", "format": "date-time", "readOnly": true},
		}}
	s["Attachment"] = obj{"type": "object", "required": []string{"id", "filename", "content_type"}, "description": g.text(1),
		"properties": obj{
			"id":           obj{"type": "string", "format": "uuid", "readOnly": true},
			"filename":     obj{"type": "string", "example": "contract.pdf"},
			"content_type": obj{"type": "string", "enum": []string{"application/pdf", "image/png", "image/jpeg", "text/csv"}, "example": "application/pdf"},
			"size":         obj{"type": "integer", "format": "int64", "minimum": 0, "example": 48213},
			"checksum":     obj{"type": "object", "properties": obj{"algorithm": obj{"type": "string", "enum": []string{"sha256", "md5"}}, "value": obj{"type": "string"}}},
			"links":        obj{"type": "array", "items": ref("Link")},
		}}
	for _, k := range []string{"Created", "Updated", "Deleted"} {
		lk := strings.ToLower(k)
		s["Event"+k] = obj{"type": "object", "required": []string{"kind", "at"},
			"properties": obj{
				"kind":    obj{"type": "string", "enum": []string{lk}},
				"at":      obj{"type": "string", "format": "date-time"},
				"actor":   ref("Contact"),
				"changes": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"field": obj{"type": "string"}, "from": obj{"type": "string", "nullable": true}, "to": obj{"type": "string", "nullable": true}}}},
			}}
	}
	s["Event"] = obj{"description": g.text(1),
		"oneOf": []any{ref("EventCreated"), ref("EventUpdated"), ref("EventDeleted")},
		"discriminator": obj{"propertyName": "kind", "mapping": obj{
			"created": "#/components/schemas/EventCreated", "updated": "#/components/schemas/EventUpdated", "deleted": "#/components/schemas/EventDeleted"}}}
	s["AuditEntry"] = obj{"type": "object", "required": []string{"id", "action"}, "description": g.text(1),
		"properties": obj{
			"id":     obj{"type": "string", "format": "uuid"},
			"action": obj{"type": "string", "enum": []string{"read", "create", "update", "delete", "export"}},
			"actor":  ref("Contact"),
			"ip":     obj{"type": "string", "format": "ipv4", "example": "192.0.2.10"},
			"at":     obj{"type": "string", "format": "date-time"},
		}}
	s["ErrorDetail"] = obj{"type": "object", "required": []string{"code"},
		"properties": obj{"code": obj{"type": "string", "example": "invalid_field"}, "field": obj{"type": "string", "nullable": true}, "message": obj{"type": "string"}}}
	s["Error"] = obj{"type": "object", "required": []string{"type", "title", "status"}, "description": "An RFC 9457 problem.",
		"properties": obj{
			"type":    obj{"type": "string", "format": "uri", "example": "https://errors.example.com/invalid"},
			"title":   obj{"type": "string", "example": "Invalid request"},
			"status":  obj{"type": "integer", "minimum": 400, "maximum": 599, "example": 422},
			"detail":  obj{"type": "string"},
			"errors":  obj{"type": "array", "items": ref("ErrorDetail")},
			"trace":   obj{"type": "string", "nullable": true},
			"context": obj{"oneOf": []any{obj{"type": "string"}, ref("Metadata")}},
		}}
	return s
}

// fieldKinds are the shapes of the resource-specific fields, in turn.
var fieldKinds = []func(g *gen, name string) obj{
	func(g *gen, name string) obj {
		return obj{"type": "string", "maxLength": 120, "description": g.text(1), "example": name + "-1"}
	},
	func(g *gen, _ string) obj {
		return obj{"type": "integer", "format": "int32", "minimum": 0, "maximum": 100000, "description": g.text(1), "example": 42}
	},
	func(g *gen, _ string) obj {
		return obj{"type": "number", "format": "double", "description": g.text(1), "example": 3.5}
	},
	func(g *gen, _ string) obj { return obj{"type": "boolean", "description": g.text(1), "default": false} },
	func(g *gen, _ string) obj {
		return obj{"type": "string", "enum": []string{"low", "normal", "high", "urgent"}, "description": g.text(1), "example": "normal"}
	},
	func(g *gen, _ string) obj {
		return obj{"type": "array", "items": obj{"type": "string", "maxLength": 40}, "maxItems": 32, "description": g.text(1), "example": []string{"a", "b"}}
	},
	func(g *gen, _ string) obj {
		return obj{"type": "object", "description": g.text(1), "properties": obj{
			"enabled": obj{"type": "boolean"}, "threshold": obj{"type": "integer", "minimum": 0},
			"window": obj{"type": "string", "enum": []string{"hour", "day", "week"}}}}
	},
	func(g *gen, _ string) obj {
		return obj{"type": "string", "format": "date", "description": g.text(1), "example": "2026-11-26"}
	},
}

// resourceSchemas are NAME, NAMECreate, NAMEPatch and NAMEList.
func (g *gen) resourceSchemas(s obj, r string) {
	P := pascal(r)
	specific := obj{}
	for i := range 8 {
		name := fmt.Sprintf("%s_%s", r, words[(i*7+len(r))%len(words)])
		if _, dup := specific[name]; dup {
			name = fmt.Sprintf("%s_%d", name, i)
		}
		specific[name] = fieldKinds[(i+len(r))%len(fieldKinds)](g, name)
	}
	common := obj{
		"name":            obj{"type": "string", "maxLength": 200, "example": P + " 12", "description": g.text(1)},
		"description":     obj{"type": "string", "nullable": true, "maxLength": 5000, "description": g.text(1)},
		"amount":          ref("Money"),
		"billing_address": ref("Address"),
		"contacts":        obj{"type": "array", "items": ref("Contact"), "maxItems": 20},
		"payment_method":  ref("PaymentMethod"),
		"labels":          obj{"type": "array", "items": obj{"type": "string", "enum": []string{"vip", "trial", "internal", "partner", "legacy"}}, "uniqueItems": true},
		"settings": obj{"type": "object", "description": g.text(1), "properties": obj{
			"notify":  obj{"type": "boolean", "default": true},
			"channel": obj{"type": "string", "enum": []string{"email", "sms", "webhook"}, "example": "email"},
			"limits": obj{"type": "object", "properties": obj{
				"daily":   obj{"type": "integer", "minimum": 0, "example": 100},
				"monthly": obj{"type": "integer", "minimum": 0, "example": 2000},
				"burst":   obj{"type": "object", "properties": obj{"size": obj{"type": "integer"}, "per": obj{"type": "string", "enum": []string{"second", "minute"}}}},
			}},
		}},
		"metadata": ref("Metadata"),
	}
	full := obj{
		"id":         obj{"type": "string", "format": "uuid", "readOnly": true, "example": g.uuid()},
		"status":     ref("Status"),
		"created_at": obj{"type": "string", "format": "date-time", "readOnly": true},
		"updated_at": obj{"type": "string", "format": "date-time", "readOnly": true},
		"links":      obj{"type": "array", "items": ref("Link")},
	}
	create := obj{}
	for k, v := range common {
		full[k], create[k] = v, v
	}
	for k, v := range specific {
		full[k], create[k] = v, v
	}
	s[P] = obj{"type": "object", "required": []string{"id", "status", "name", "created_at"}, "description": g.text(3), "properties": full}
	s[P+"Create"] = obj{"type": "object", "required": []string{"name"}, "description": g.text(2), "properties": create}
	s[P+"Patch"] = obj{"type": "object", "description": g.text(2), "properties": create, "minProperties": 1}
	s[P+"List"] = obj{"type": "object", "required": []string{"data", "pagination"}, "properties": obj{
		"data": obj{"type": "array", "items": ref(P)}, "pagination": ref("Pagination")}}
}

func jsonContent(schema obj) obj { return obj{"application/json": obj{"schema": schema}} }

func (g *gen) op(id, tag, summary string, params []any, body obj, okStatus string, ok obj) obj {
	o := obj{"operationId": id, "tags": []string{tag}, "summary": summary, "description": g.text(3 + g.rng.IntN(3)),
		"security": []any{obj{"bearer": []string{}}}}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if body != nil {
		o["requestBody"] = obj{"required": true, "content": jsonContent(body)}
	}
	res := obj{
		"400":     obj{"$ref": "#/components/responses/BadRequest"},
		"401":     obj{"$ref": "#/components/responses/Unauthorized"},
		"404":     obj{"$ref": "#/components/responses/NotFound"},
		"429":     obj{"$ref": "#/components/responses/TooManyRequests"},
		"default": obj{"description": "Unexpected error.", "content": jsonContent(ref("Error"))},
	}
	if ok == nil {
		res[okStatus] = obj{"description": "Done, nothing to return."}
	} else {
		res[okStatus] = obj{"description": g.sentence(6), "content": jsonContent(ok),
			"headers": obj{"X-RateLimit-Remaining": obj{"schema": obj{"type": "integer"}, "description": "Requests left in this window."}}}
	}
	if body != nil {
		res["422"] = obj{"description": "The body is not valid.", "content": jsonContent(ref("Error"))}
	}
	o["responses"] = res
	return o
}

func pathParam(name string) obj {
	return obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "string", "format": "uuid"}, "example": "4f1c2d3e-0000-4000-8000-000000000001"}
}

func query(name string, schema obj, desc string) obj {
	return obj{"name": name, "in": "query", "schema": schema, "description": desc}
}

// generateSpec returns the document: 48 resources × 22 operations, 4 schemas
// per resource plus the shared ones.
func generateSpec() spec {
	g := &gen{rng: rand.New(rand.NewPCG(7, 2026))}
	schemas := g.sharedSchemas()
	paths := obj{}
	var tags []any
	var opIDs, schemaNames, paramNames []string
	nops := 0
	for _, r := range resources {
		P, plural := pascal(r), r+"s"
		tag := pascal(plural)
		tags = append(tags, obj{"name": tag, "description": g.text(2)})
		g.resourceSchemas(schemas, r)
		schemaNames = append(schemaNames, P, P+"Patch", P+"List")
		id := r + "Id"
		status, minTotal := r+"_status", "min_"+r+"_total"
		paramNames = append(paramNames, status, minTotal)
		listParams := []any{
			obj{"$ref": "#/components/parameters/Limit"}, obj{"$ref": "#/components/parameters/Cursor"},
			obj{"$ref": "#/components/parameters/RequestId"},
			query("sort", obj{"type": "string", "enum": []string{"created_at", "-created_at", "name", "-name", "updated_at", "-updated_at"}}, g.sentence(6)),
			obj{"name": status, "in": "query", "style": "form", "explode": true, "description": g.sentence(8),
				"schema": obj{"type": "array", "items": ref("Status")}},
			query(minTotal, obj{"type": "string", "pattern": `^[0-9]+(\.[0-9]{1,4})?$`}, g.sentence(7)),
			query("created_after", obj{"type": "string", "format": "date-time"}, g.sentence(6)),
			query("created_before", obj{"type": "string", "format": "date-time"}, g.sentence(6)),
			query("q", obj{"type": "string", "maxLength": 200}, "Free text over name and description."),
		}
		idParams := []any{pathParam(id)}
		coll, item := "/"+plural, "/"+plural+"/{"+id+"}"
		paths[coll] = obj{
			"get":  g.op("list"+pascal(plural), tag, "List "+plural, listParams, nil, "200", ref(P+"List")),
			"post": g.op("create"+P, tag, "Create a "+r, []any{obj{"$ref": "#/components/parameters/IdempotencyKey"}}, ref(P+"Create"), "201", ref(P)),
		}
		getParams := append([]any{query("expand", obj{"type": "array", "items": obj{"type": "string", "enum": []string{"contacts", "payment_method", "links"}}}, g.sentence(6)),
			obj{"name": "If-None-Match", "in": "header", "schema": obj{"type": "string"}}}, idParams...)
		writeParams := append([]any{obj{"name": "If-Match", "in": "header", "schema": obj{"type": "string"}, "description": g.sentence(6)}}, idParams...)
		paths[item] = obj{
			"get":    g.op("get"+P, tag, "Get one "+r, getParams, nil, "200", ref(P)),
			"put":    g.op("replace"+P, tag, "Replace a "+r, writeParams, ref(P+"Create"), "200", ref(P)),
			"patch":  g.op("update"+P, tag, "Update some fields of a "+r, writeParams, ref(P+"Patch"), "200", ref(P)),
			"delete": g.op("delete"+P, tag, "Delete a "+r, append([]any{query("force", obj{"type": "boolean", "default": false}, g.sentence(6))}, idParams...), nil, "204", nil),
		}
		nops += 6
		opIDs = append(opIDs, "list"+pascal(plural), "create"+P, "get"+P+"Attachment", "delete"+P)
		for _, sb := range subs {
			SP := pascal(sb.path)
			sid := sb.id
			subList := obj{"type": "object", "properties": obj{"data": obj{"type": "array", "items": ref(sb.schema)}, "pagination": ref("Pagination")}}
			sc, si := item+"/"+sb.path, item+"/"+sb.path+"/{"+sid+"}"
			one := sb.schema
			paths[sc] = obj{
				"get":  g.op("list"+P+SP, tag, "List the "+sb.path+" of a "+r, append([]any{obj{"$ref": "#/components/parameters/Limit"}, obj{"$ref": "#/components/parameters/Cursor"}}, idParams...), nil, "200", subList),
				"post": g.op("create"+P+one, tag, "Add to the "+sb.path+" of a "+r, idParams, ref(sb.schema), "201", ref(sb.schema)),
			}
			paths[si] = obj{
				"get":    g.op("get"+P+one, tag, "Get one of the "+sb.path+" of a "+r, append([]any{pathParam(sid)}, idParams...), nil, "200", ref(sb.schema)),
				"delete": g.op("delete"+P+one, tag, "Remove one of the "+sb.path+" of a "+r, append([]any{pathParam(sid)}, idParams...), nil, "204", nil),
			}
			nops += 4
		}
	}
	doc := obj{
		"openapi": "3.0.3",
		"info": obj{"title": "Synthetic platform API", "version": "2026.11.26",
			"description": "A deterministic synthetic document for bench/cmd/portalbench. " + g.text(4)},
		"tags":  tags,
		"paths": paths,
		"components": obj{
			"schemas": schemas,
			"parameters": obj{
				"Limit":          obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "description": "Page size."},
				"Cursor":         obj{"name": "cursor", "in": "query", "schema": obj{"type": "string"}, "description": "From the previous page's pagination.next_cursor."},
				"RequestId":      obj{"name": "X-Request-Id", "in": "header", "schema": obj{"type": "string"}, "description": "Echoed back."},
				"IdempotencyKey": obj{"name": "Idempotency-Key", "in": "header", "schema": obj{"type": "string", "maxLength": 64}, "description": "Makes a retried create safe."},
			},
			"responses": obj{
				"BadRequest":      obj{"description": "The request is malformed.", "content": jsonContent(ref("Error"))},
				"Unauthorized":    obj{"description": "No or a bad token.", "content": jsonContent(ref("Error"))},
				"NotFound":        obj{"description": "No such resource.", "content": jsonContent(ref("Error"))},
				"TooManyRequests": obj{"description": "Slow down.", "content": jsonContent(ref("Error"))},
			},
			"securitySchemes": obj{"bearer": obj{"type": "http", "scheme": "bearer"}},
		},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err) // only maps, slices and strings: cannot fail
	}
	// 50 queries: 20 operation IDs, 15 schema names, 15 parameter names,
	// spread over the whole document so no part of the index is favoured.
	// Some name one item (listAccounts, AccountPatch, account_status), some
	// many (createAccount is a prefix of 5 operation IDs, Account is in 5
	// schema names and the paths of 22 operations, cursor is a parameter of
	// 240 operations), so
	// the suggestion lists range from 1 entry to search.js's 12.
	var q []string
	pick := func(from []string, n int) {
		for i := range n {
			q = append(q, from[i*len(from)/n])
		}
	}
	pick(opIDs, 20)
	pick(schemaNames, 15)
	pick(paramNames, 10)
	q = append(q, "cursor", "created_after", "If-None-Match", "Idempotency-Key", "expand")
	return spec{JSON: b, Operations: nops, Schemas: len(schemas), Tags: len(tags), Queries: q, Operation: "create" + pascal(resources[0])}
}
