package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// Size caps of the files a load reads. A wrong path (a device, a log file)
// fails the load with a clear error instead of exhausting memory.
const (
	MaxConfigFileBytes = 16 << 20
	MaxSecretFileBytes = 64 << 10
	MaxTLSFileBytes    = 1 << 20 // a CA bundle, client certificate or key
)

// ReadFile reads a regular file of at most limit bytes and never blocks:
// it opens without waiting (a FIFO with no writer would hang a plain
// open), then refuses anything fstat does not call a regular file.
// WhyUnreadable words its error.
func ReadFile(path string, limit int64) ([]byte, error) {
	b, _, err := readFileInfo(path, limit)
	return b, err
}

// readFileInfo is ReadFile that also returns the file's modification time.
func readFileInfo(path string, limit int64) ([]byte, time.Time, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	if !info.Mode().IsRegular() {
		return nil, time.Time{}, fmt.Errorf("not a regular file (%s)", fileKind(info.Mode()))
	}
	if info.Size() > limit {
		return nil, time.Time{}, fmt.Errorf("larger than %d bytes; is it the right file?", limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, time.Time{}, err
	}
	if int64(len(b)) > limit { // it grew while being read
		return nil, time.Time{}, fmt.Errorf("larger than %d bytes; is it the right file?", limit)
	}
	return b, info.ModTime(), nil
}

// Settling: a config file changed less than SettleTime ago may still be
// being written in place; it is read again after the pause and used only
// when both reads agree. A file that keeps changing for MaxSettleWait is
// not loaded.
const (
	SettleTime    = 100 * time.Millisecond
	MaxSettleWait = 5 * time.Second
)

// errStillWritten is the cause of a load given up on a file that kept changing.
var errStillWritten = fmt.Errorf("it kept changing for %s; write it elsewhere and rename it into place", MaxSettleWait)

// readSettled reads the config file once it has stopped changing, so a
// reload never applies half of a file that is being rewritten in place.
func readSettled(path string) ([]byte, error) {
	giveUp := time.Now().Add(MaxSettleWait)
	content, modTime, err := readFileInfo(path, MaxConfigFileBytes)
	for err == nil {
		age := time.Since(modTime)
		if age >= SettleTime {
			return content, nil
		}
		if time.Now().After(giveUp) {
			return nil, errStillWritten
		}
		time.Sleep(SettleTime - max(age, 0))
		again, againMod, againErr := readFileInfo(path, MaxConfigFileBytes)
		if againErr == nil && againMod.Equal(modTime) && bytes.Equal(again, content) {
			return again, nil
		}
		content, modTime, err = again, againMod, againErr
	}
	return nil, err
}

// fileKind names what a non-regular file is.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return m.Type().String()
}

// WhyUnreadable says why a file could not be read without repeating its
// path (the message names it already): "no such file or directory", "not a
// regular file (a named pipe)".
func WhyUnreadable(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
