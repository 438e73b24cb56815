#ifndef GLASSBOX_CHDF5_SHIM_H
#define GLASSBOX_CHDF5_SHIM_H
// The HDF5 C library (Debian: libhdf5-dev, serial build): the reference the tests check
// Glassbox's HDF5 reader (Sources/Glassbox/IO/Keras/HDF5File.swift) against.
// HDF5's predefined types and property-list classes are macros over globals, which Swift cannot
// import; these small functions wrap the few calls Glassbox makes. Every one returns a negative
// number on failure and never prints HDF5's error stack.
#include <hdf5/serial/hdf5.h>
#include <stdlib.h>
#include <string.h>

/// Opens an HDF5 file held in memory (read-only, nothing touches the disk). Negative on failure.
static inline hid_t glassbox_h5_open_image(const void *bytes, size_t count) {
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    if (access < 0) return -1;
    if (H5Pset_fapl_core(access, 1 << 16, 0) < 0 || H5Pset_file_image(access, (void *)bytes, count) < 0) {
        H5Pclose(access);
        return -1;
    }
    hid_t file = H5Fopen("model.weights.h5", H5F_ACC_RDONLY, access);
    H5Pclose(access);
    return file;
}

static inline void glassbox_h5_close(hid_t file) { H5Fclose(file); }

/// 1 when every component of the '/'-separated `path` exists under `file`, 0 when one does not,
/// negative when the file cannot say.
static inline int glassbox_h5_exists(hid_t file, const char *path) {
    char partial[1024];
    size_t length = strlen(path);
    if (length == 0 || length >= sizeof partial) return -1;
    for (size_t i = 1; i <= length; i++) {
        if (i == length || path[i] == '/') {
            memcpy(partial, path, i);
            partial[i] = 0;
            htri_t found = H5Lexists(file, partial, H5P_DEFAULT);
            if (found <= 0) return found < 0 ? -1 : 0;
        }
    }
    return 1;
}

/// The shape of the floating-point dataset at `path`: its rank (at most `capacity` dimensions
/// written to `dims`). -1: not a dataset or unreadable; -2: not floating point; -3: rank too large.
static inline int glassbox_h5_dataset_shape(hid_t file, const char *path, unsigned long long *dims, int capacity) {
    if (capacity > 32) capacity = 32;
    hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dataset < 0) return -1;
    int result = -1;
    hid_t type = H5Dget_type(dataset);
    hid_t space = H5Dget_space(dataset);
    if (type >= 0 && space >= 0) {
        if (H5Tget_class(type) != H5T_FLOAT) {
            result = -2;
        } else {
            int rank = H5Sget_simple_extent_ndims(space);
            if (rank > capacity) {
                result = -3;
            } else if (rank >= 0) {
                hsize_t extent[32];
                if (H5Sget_simple_extent_dims(space, extent, NULL) == rank) {
                    for (int i = 0; i < rank; i++) dims[i] = extent[i];
                    result = rank;
                }
            }
        }
    }
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Dclose(dataset);
    return result;
}

/// Reads the whole dataset at `path` as native floats into `out`, which holds `count` values
/// (the caller has checked the shape). Negative on failure.
static inline int glassbox_h5_read_floats(hid_t file, const char *path, float *out, size_t count) {
    hid_t dataset = H5Dopen2(file, path, H5P_DEFAULT);
    if (dataset < 0) return -1;
    hid_t space = H5Dget_space(dataset);
    hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    int result = -1;
    if (points >= 0 && (size_t)points == count) {
        result = H5Dread(dataset, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0 ? -1 : 0;
    }
    if (space >= 0) H5Sclose(space);
    H5Dclose(dataset);
    return result;
}

/// The string attribute `name` of the object at `path` (fixed-length or variable-length), copied
/// into `buffer` (NUL-terminated, cut to `capacity` - 1 bytes). Its length; -1 when absent or not
/// a string.
static inline int glassbox_h5_string_attribute(hid_t file, const char *path, const char *name, char *buffer, size_t capacity) {
    if (capacity == 0) return -1;
    buffer[0] = 0;
    if (H5Aexists_by_name(file, path, name, H5P_DEFAULT) <= 0) return -1;
    hid_t attribute = H5Aopen_by_name(file, path, name, H5P_DEFAULT, H5P_DEFAULT);
    if (attribute < 0) return -1;
    int result = -1;
    hid_t type = H5Aget_type(attribute);
    hid_t space = H5Aget_space(attribute);
    if (type >= 0 && space >= 0 && H5Tget_class(type) == H5T_STRING && H5Sget_simple_extent_npoints(space) == 1) {
        hid_t memory = H5Tcopy(H5T_C_S1);
        // h5py writes UTF-8 strings; HDF5 converts between character sets not at all.
        if (memory >= 0 && H5Tset_cset(memory, H5Tget_cset(type)) < 0) {
            H5Tclose(memory);
            memory = -1;
        }
        if (memory >= 0) {
            if (H5Tis_variable_str(type) > 0) {
                char *text = NULL;
                if (H5Tset_size(memory, H5T_VARIABLE) >= 0 && H5Aread(attribute, memory, &text) >= 0 && text) {
                    strncpy(buffer, text, capacity - 1);
                    buffer[capacity - 1] = 0;
                    result = (int)strlen(buffer);
                    H5free_memory(text);
                }
            } else {
                size_t size = H5Tget_size(type);
                if (size > 0 && size < capacity && H5Tset_size(memory, size + 1) >= 0 && H5Aread(attribute, memory, buffer) >= 0) {
                    buffer[size] = 0;
                    result = (int)strlen(buffer);
                }
            }
            H5Tclose(memory);
        }
    }
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    H5Aclose(attribute);
    return result;
}

#endif
