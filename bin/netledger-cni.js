#!/usr/bin/env node
// The CNI plugin's earlier entry, kept for links made to it: the plugin is netledger-cni.cjs (CommonJS,
// which starts faster than an ES module entry; package.json's bin names it).
import "./netledger-cni.cjs";
