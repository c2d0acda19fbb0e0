package policies

import "slices"

// MetaKeys returns every policy key a service may set in its labels, without
// MetaPrefix ("timeout", "breaker-failures", ...), so a misspelt label can be
// answered with the key that was probably meant.
func MetaKeys() []string { return slices.Concat(metaKeys, resilienceMetaKeys) }
