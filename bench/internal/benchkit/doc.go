// Package benchkit is the shared plumbing of the programs under bench/:
// statistics (medians and percentiles of durations), child processes
// started in their own process group and stopped with SIGINT, a grace
// period and SIGKILL, a running `lambdalens dev` whose JSON events are
// parsed as they arrive, project copies in temporary folders, polling an
// URL until a text is served, and the location and environment of the
// Vercel CLI installed by bench/vercel-setup.sh.
//
// Nothing here asserts on time: the programs print medians and ratios
// against a baseline measured in the same invocation, and leave judging
// them to the reader. Every loop is bounded in count and in time, and
// every URL it polls is on 127.0.0.1.
package benchkit
