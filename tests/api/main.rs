//! One integration-test binary: the crate links once (fast builds on 2 cores).

mod helpers;

mod access_matrix;
mod accounts;
mod aftercare;
mod auth;
mod bad_input;
mod calendar;
mod cli;
mod connect;
mod content;
mod courses;
mod demo;
mod edges;
mod evaluation;
mod method;
mod openapi;
mod pages;
mod platform;
mod privacy;
mod properties;
mod races;
mod schema;
mod smtp;
