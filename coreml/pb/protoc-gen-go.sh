#!/bin/sh
# protoc plugin wrapper: runs the protoc-gen-go pinned by go.mod's tool line.
exec go tool protoc-gen-go "$@"
