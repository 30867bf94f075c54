/// The meaning of a GWS `statusCode` (ReturnValues, 8.5.0 to 8.6).
public enum GWSStatusCode {
    /// A short description of `code`, or `nil` for codes GWS does not document.
    public static func meaning(of code: Int) -> String? {
        switch code {
        case 0: return "success"
        case 1: return "a required parameter is missing"
        case 2: return "a parameter is not valid for the current state"
        case 3: return "operation forbidden"
        case 4: return "internal error in GWS or a back end"
        case 5: return "the user lacks permission"
        case 6: return "resource not found"
        case 7: return "partial success"
        case 8: return "password change required"
        case 9: return "processing incomplete"
        case 10: return "input validation error"
        case 11: return "attempt to change a read-only property"
        case 12: return "unable to retrieve the resource"
        case 13: return "unable to create the resource"
        case 14: return "unable to delete the resource"
        case 15: return "unable to update the resource"
        case 16: return "unable to assign the resource"
        case 17: return "unable to unassign the resource"
        case 18: return "resource already exists"
        case 19: return "resource already in use"
        case 20: return "user not authenticated"
        default: return nil
        }
    }
}
