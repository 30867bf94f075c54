import CCurl

/// libcurl's write callback: appends body bytes to the transfer passed as user data.
/// Returning less than the size handed in makes libcurl abort with CURLE_WRITE_ERROR.
let curlWriteCallback: gws_curl_data_callback = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    return transfer.receive(UnsafeRawBufferPointer(start: pointer, count: length)) ? length : 0
}

/// libcurl's header callback: records each response header line.
let curlHeaderCallback: gws_curl_data_callback = { pointer, size, count, userdata in
    guard let pointer, let userdata else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(userdata).takeUnretainedValue()
    let length = size * count
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: pointer, count: length))
    return length
}
