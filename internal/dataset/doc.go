// Package dataset defines the on-disk layout of a flowq dataset: the table
// folders, the partition keys, the file names of the manifest and the
// rejects, and the schema of each table. The converter writes this layout
// and the query engine reads it, so both take every name from here.
package dataset
