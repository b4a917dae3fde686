package devserver

import (
	"path"
	"strings"
)

// webTypes are the Content-Types of static files by extension: what
// vercel dev 64.0.2 answered for each (its mime-types database), except
// .avif, .toml and .tsx, which it serves as application/octet-stream. A
// fixed table, because mime.TypeByExtension also reads the machine's MIME
// files, which on Debian make .otf an OpenDocument formula template and
// .ts a Qt translation file. Go's own table has nothing this one lacks.
var webTypes = map[string]string{
	".apng":        "image/apng",
	".atom":        "application/atom+xml",
	".avif":        "image/avif",
	".bin":         "application/octet-stream",
	".bmp":         "image/bmp",
	".cjs":         "application/javascript; charset=utf-8",
	".css":         "text/css; charset=utf-8",
	".csv":         "text/csv; charset=utf-8",
	".eot":         "application/vnd.ms-fontobject",
	".gif":         "image/gif",
	".gz":          "application/gzip",
	".htm":         "text/html; charset=utf-8",
	".html":        "text/html; charset=utf-8",
	".ico":         "image/vnd.microsoft.icon",
	".ics":         "text/calendar; charset=utf-8",
	".jpeg":        "image/jpeg",
	".jpg":         "image/jpeg",
	".js":          "application/javascript; charset=utf-8",
	".json":        "application/json; charset=utf-8",
	".jsonld":      "application/ld+json",
	".jsx":         "text/jsx; charset=utf-8",
	".m4a":         "audio/mp4",
	".map":         "application/json; charset=utf-8",
	".md":          "text/markdown; charset=utf-8",
	".mjs":         "application/javascript; charset=utf-8",
	".mov":         "video/quicktime",
	".mp3":         "audio/mpeg",
	".mp4":         "video/mp4",
	".ogg":         "audio/ogg",
	".otf":         "font/otf",
	".pdf":         "application/pdf",
	".png":         "image/png",
	".rss":         "application/rss+xml",
	".svg":         "image/svg+xml",
	".tar":         "application/x-tar",
	".tif":         "image/tiff",
	".tiff":        "image/tiff",
	".toml":        "application/toml",
	".ts":          "video/mp2t",
	".tsx":         "text/tsx; charset=utf-8",
	".ttf":         "font/ttf",
	".txt":         "text/plain; charset=utf-8",
	".wasm":        "application/wasm",
	".wav":         "audio/wave",
	".webm":        "video/webm",
	".webmanifest": "application/manifest+json; charset=utf-8",
	".webp":        "image/webp",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".xml":         "application/xml",
	".yaml":        "text/yaml; charset=utf-8",
	".yml":         "text/yaml; charset=utf-8",
	".zip":         "application/zip",
}

// contentType is the Content-Type of a static file: webTypes, else
// application/octet-stream, as vercel dev answers for extensions it does
// not know (never sniffed from the content, and never from the machine's
// MIME files, where .mdx may be a Sega Genesis ROM).
func contentType(name string) string {
	if t, ok := webTypes[strings.ToLower(path.Ext(name))]; ok {
		return t
	}
	return "application/octet-stream"
}
