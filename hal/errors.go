package hal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

var (
	// ErrNotObject is returned by Parse when the JSON is valid but its top level
	// is not an object, so it cannot be a HAL document.
	ErrNotObject = errors.New("not a HAL document")
	// ErrUnsafeURL is returned by Link.Expand instead of a URL that is not
	// relative or http(s). ResolveRel reports such a URL as not found.
	ErrUnsafeURL = errors.New("unsafe URL")
)

// SyntaxError is invalid JSON, located the way editors count: Line and Column
// are 1-based, Column in bytes.
type SyntaxError struct {
	Line, Column int
	Offset       int64 // bytes read before the error, as json.SyntaxError reports it
	Err          error // the *json.SyntaxError
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("parsing HAL document: line %d, column %d: %v", e.Line, e.Column, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// locate turns a json.SyntaxError's offset into a line and column. The offset
// counts the bytes read including the one that was wrong, so the wrong byte is
// at offset-1; a document that ends too soon is wrong at its end.
func locate(data []byte, se *json.SyntaxError) *SyntaxError {
	pos := int(min(max(se.Offset-1, 0), int64(len(data))))
	if strings.Contains(se.Error(), "unexpected end") {
		pos = len(data)
	}
	before := data[:pos]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := pos - bytes.LastIndexByte(before, '\n')
	return &SyntaxError{Line: line, Column: col, Offset: se.Offset, Err: se}
}
