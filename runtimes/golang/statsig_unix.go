//go:build unix

package golang

import "golang.org/x/sys/unix"

// statSig stats path, following symbolic links as the go command does.
func statSig(path string) fileSig {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return fileSig{}
	}
	return fileSig{
		Exists: true,
		Dir:    st.Mode&unix.S_IFMT == unix.S_IFDIR,
		Size:   st.Size,
		Mtime:  st.Mtim.Nano(),
		Ctime:  st.Ctim.Nano(),
		Ino:    uint64(st.Ino),
		Dev:    uint64(st.Dev),
	}
}
