//go:build !unix

package golang

import "os"

// statSig stats path; without change times and inodes here, size and
// modification time carry the signature.
func statSig(path string) fileSig {
	fi, err := os.Stat(path)
	if err != nil {
		return fileSig{}
	}
	return fileSig{Exists: true, Dir: fi.IsDir(), Size: fi.Size(), Mtime: fi.ModTime().UnixNano()}
}
